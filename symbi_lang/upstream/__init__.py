"""Upstream Symbiont's dialect: recognising its items, parsing them, and mapping its schedules onto ours.

`dialect` decides which top-level items are upstream, `syntax` parses them into `UpstreamItem` nodes,
`derive` turns upstream schedules and agents into the blocks our checks and lowering read, and
`migrate` rewrites upstream schedule blocks into our dialect.
"""

"""What the editor says about a `timezone`: the hover (offset now, local time now, the next daylight-saving
change) and the completion list of IANA zones, ranked by how the typed text matches the name and city."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lsprotocol import types

from symbi_lang.zones import format_offset, next_offset_change

#: At most this many zones are offered for one request (the list is re-asked as the user types).
MAX_ZONE_ITEMS = 100


@functools.cache
def _zone_names() -> tuple[str, ...]:
    # Legacy aliases ("US/Eastern", "EST5EDT") are left out: they work but nobody should start using them.
    legacy = ("Etc/", "SystemV/", "US/", "posix/", "right/")
    names = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(legacy))
    return (*names, "UTC")


def zone_markdown(name: str, now: datetime) -> str | None:
    """Hover text for a zone name; None when it is not a zone (the checks report that)."""
    if "${" in name:
        return None
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    local = now.astimezone(zone)
    offset = format_offset(local.utcoffset() or timedelta(0))
    lines = [
        f"**`{name}`**: UTC{offset} now ({local.tzname()})",
        "",
        f"Local time now: {local:%a %Y-%m-%d %H:%M:%S}",
        "",
    ]
    change = next_offset_change(zone, now)
    if change is None:
        lines.append("No daylight-saving change ahead: the offset stays the same.")
    else:
        lines.append(f"Next change: {change.describe()}.")
    return "\n".join(lines)


def _rank(zone: str, typed: str) -> int | None:
    """0: the name starts with the typed text; 1: the city does; 2: the city or name contains it."""
    if not typed:
        return 0
    t = typed.lower().replace(" ", "_")
    low = zone.lower()
    city = low.rsplit("/", 1)[-1]
    if low.startswith(t):
        return 0
    if city.startswith(t):
        return 1
    if t in low:
        return 2
    return None


def zone_items(typed: str, range_: types.Range | None) -> list[types.CompletionItem]:
    """Zones matching `typed`, best first; `range_` is the typed text inside the quotes (replaced), or
    None outside a string (the item inserts a quoted name)."""
    ranked = sorted((rank, zone) for zone in _zone_names() if (rank := _rank(zone, typed)) is not None)[
        :MAX_ZONE_ITEMS
    ]
    items: list[types.CompletionItem] = []
    for i, (_, zone) in enumerate(ranked):
        city = zone.rsplit("/", 1)[-1].replace("_", " ")
        items.append(
            types.CompletionItem(
                label=zone,
                kind=types.CompletionItemKind.Value,
                detail=f"time zone ({city})" if city != zone else "time zone",
                sort_text=f"{i:04d}",
                # The server has ranked them: keep the client from re-filtering a city match away.
                filter_text=typed or zone,
                text_edit=types.TextEdit(range=range_, new_text=zone) if range_ is not None else None,
                insert_text=None if range_ is not None else f'"{zone}"',
            )
        )
    return items

"""The symbi language server: a thin adapter from `symbi_lang` results to the Language Server Protocol.

`documents` holds one parse per (uri, version) and the checked workspace; `positions` is the only place
that converts to LSP positions; `features/` has one module per LSP feature; `server` and `handlers`
wire them to pygls; `cli` is `symbi lsp`.
"""

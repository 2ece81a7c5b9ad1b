"""`python -m symbi_lsp`: the language server on stdio (same options as `symbi lsp`)."""

from symbi_lsp.cli import app

app(prog_name="symbi-lsp")

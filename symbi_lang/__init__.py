"""symbi_lang: parse, check, lower and format Symbiont scheduling DSL files.

The public stages live in `symbi_lang.api`; this package imports nothing heavy at import time so
that `symbi check` starts fast.
"""

__version__ = "0.1.0"

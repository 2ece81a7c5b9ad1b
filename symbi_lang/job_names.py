"""What a job name may be: one rule for `.symbi` files (SYM114) and the HTTP API.

A name becomes a log file name (`{log_dir}/{job}.log`), a metrics label, a CLI argument and a URL path
segment, and people read it in terminals. So it is 1-128 visible characters: no path separators, no
control or invisible formatting characters (a `\\u202e` would reverse what a terminal shows), no
leading `.` (hidden files, `..`), and no surrounding whitespace. Letters of any script, digits, spaces
inside the name and punctuation other than `/` and `\\` are fine.
"""

from __future__ import annotations

import unicodedata

MAX_NAME_CHARS = 128

# Control, format (bidi overrides, zero-width), surrogate, private-use, unassigned, line/paragraph separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a job, or None when it can."""
    if not name:
        return "it is empty"
    if len(name) > MAX_NAME_CHARS:
        return f"it is {len(name)} characters long (at most {MAX_NAME_CHARS})"
    for ch in name:
        if unicodedata.category(ch) in _INVISIBLE_CATEGORIES:
            return f"it contains the control or invisible character U+{ord(ch):04X}"
        if ch in "/\\":
            return f"it contains `{ch}` (names are not paths)"
    if name.startswith("."):
        return "it starts with `.`"
    if name != name.strip():
        return "it starts or ends with whitespace"
    return None


def shown_name(name: str) -> str:
    """The name quoted for a message, with invisible characters escaped and long names cut."""
    text = name if len(name) <= 40 else name[:40] + "…"
    escaped = "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch) in _INVISIBLE_CATEGORIES else ch for ch in text
    )
    return f"`{escaped}`"

"""File names for schedule pages: safe on every file system and unique, whatever the schedule is called."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["MAX_SLUG", "slugify", "unique_slugs"]

MAX_SLUG = 80
_UNSAFE = re.compile(r"[^a-z0-9._-]+")
# Device names Windows reserves whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def slugify(name: str) -> str:
    """Lower-case ASCII letters, digits, `.`, `_` and `-`; never empty, never hidden, never `..`."""
    slug = _UNSAFE.sub("-", name.lower()).strip(".-")
    slug = re.sub(r"-{2,}", "-", slug)[:MAX_SLUG].strip(".-")
    if not slug:
        return "schedule"
    if slug.split(".")[0] in _RESERVED:
        slug = f"{slug}_"
    return slug


def unique_slugs(names: Iterable[str]) -> dict[str, str]:
    """A distinct slug per name (case-insensitively distinct, so `Daily` and `daily` do not collide)."""
    taken: set[str] = set()
    out: dict[str, str] = {}
    for name in names:
        if name in out:
            continue
        base = slugify(name)
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        out[name] = slug
    return out

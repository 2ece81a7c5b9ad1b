"""Which files in an output folder did `symbi docs` write? A manifest kept beside them answers it, so
that a schedule removed from the sources loses its page on the next run while every file the user put
there stays untouched."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

#: The manifest's name inside the output folder; hidden, so that it is not served as a page.
MANIFEST_NAME = ".symbi-docs.json"
_VERSION = 1


def generated_before(out_dir: Path) -> set[str]:
    """Relative POSIX paths the previous run recorded; empty when there is no readable manifest (a
    folder never written by `symbi docs`, or a manifest someone broke: then nothing is removed)."""
    try:
        data = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return set()
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        return set()
    if not isinstance(data.get("files"), list):
        return set()
    return {f for f in data["files"] if isinstance(f, str) and _is_inside(f)}


def remove_stale(out_dir: Path, before: Iterable[str], now_written: Iterable[str]) -> list[Path]:
    """Delete the files a previous run generated that this run did not write; empty folders they
    leave behind go too. Returns what was deleted."""
    keep = set(now_written)
    removed: list[Path] = []
    for rel in sorted(set(before) - keep):
        target = out_dir.joinpath(*PurePosixPath(rel).parts)
        if target.is_symlink() or not target.is_file():
            continue  # replaced by the user with something else: not ours to delete
        if not target.resolve().is_relative_to(out_dir.resolve()):
            continue  # reached through a symlinked folder: outside the output
        target.unlink()
        removed.append(target)
        parent = target.parent
        while parent != out_dir and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    return removed


def record(out_dir: Path, written: Iterable[str]) -> None:
    """Write the manifest of this run's files."""
    text = json.dumps({"version": _VERSION, "files": sorted(written)}, indent=1) + "\n"
    (out_dir / MANIFEST_NAME).write_text(text, encoding="utf-8", newline="\n")


def _is_inside(rel: str) -> bool:
    path = PurePosixPath(rel)
    return bool(path.parts) and not path.is_absolute() and ".." not in path.parts and rel != MANIFEST_NAME

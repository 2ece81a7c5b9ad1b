"""The `symbi.toml` of the workspace, as the checks see it (the same settings `symbi check` reads).

The first workspace folder holding a `symbi.toml` supplies it. The (small) file is read on every
analysis and parsed again only when its text changes (an mtime can miss a same-size edit within its
resolution), so editing `[check] herd_threshold` takes effect on the next keystroke without a watcher.
A file that cannot be read or has a bad value leaves the defaults in place and is logged once per
version; it never stops diagnostics.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable
from pathlib import Path

from symbi_lang.check_config import CheckConfigError, CheckSettings, check_settings

log = logging.getLogger("symbi_lsp")

CONFIG_NAME = "symbi.toml"
Stamp = tuple[str, str] | None


class WorkspaceConfig:
    """The check settings of the workspace's symbi.toml, cached by the file's stamp."""

    def __init__(self) -> None:
        self._stamp: Stamp = None
        self._settings = CheckSettings()

    def settings(self, folders: Iterable[Path]) -> tuple[Stamp, CheckSettings]:
        """(the file's stamp, its settings); no file: (None, the defaults)."""
        for folder in folders:
            path = folder / CONFIG_NAME
            if not path.is_file():
                continue
            try:
                text = path.read_text(encoding="utf-8")
                problem = None
            except (OSError, UnicodeDecodeError) as e:
                text, problem = "", f"cannot read it: {e}"
            stamp = (str(path), text if problem is None else f"\0{problem}")
            if stamp != self._stamp:
                self._stamp, self._settings = stamp, _parse(path, text, problem)
            return self._stamp, self._settings
        return None, CheckSettings()


def _parse(path: Path, text: str, problem: str | None) -> CheckSettings:
    try:
        if problem is None:
            return check_settings(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, CheckConfigError) as e:
        problem = str(e)
    log.warning("%s: %s; the checks use their defaults", path, problem)
    return CheckSettings()

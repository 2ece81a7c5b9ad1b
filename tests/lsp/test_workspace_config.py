"""The workspace's symbi.toml as the language server reads it (test_fleet_e2e.py drives it via a client)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from symbi_lsp.workspace_config import WorkspaceConfig

from symbi_lang.check_config import CheckSettings


def test_the_first_folder_with_a_symbi_toml_supplies_the_settings(tmp_path: Path) -> None:
    empty, configured = tmp_path / "a", tmp_path / "b"
    empty.mkdir()
    configured.mkdir()
    config = WorkspaceConfig()
    assert config.settings([empty]) == (None, CheckSettings())
    (configured / "symbi.toml").write_text(
        "[check]\nherd_threshold = 7\n[scheduler]\nmax_jitter = 30\n"
        '[scheduler.delivery]\nslack_default_channel = "#ops"\n',
        encoding="utf-8",
    )
    stamp, settings = config.settings([empty, configured])
    assert stamp is not None and settings == CheckSettings(7, 30.0, True)


@pytest.mark.parametrize(
    ("content", "logged"),
    [
        (b'[check]\nherd_threshold = "many"\n', "herd_threshold must be a whole number"),
        (b"[check\n", "symbi.toml: "),
        (b"\xff\xfe not utf-8", "cannot read it"),
    ],
)
def test_a_bad_file_leaves_the_defaults_and_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes, logged: str
) -> None:
    (tmp_path / "symbi.toml").write_bytes(content)
    config = WorkspaceConfig()
    with caplog.at_level(logging.WARNING, logger="symbi_lsp"):
        assert config.settings([tmp_path])[1] == CheckSettings()
        assert config.settings([tmp_path])[1] == CheckSettings()
    assert len(caplog.records) == 1 and logged in caplog.records[0].getMessage()

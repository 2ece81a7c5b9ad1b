"""`symbi fmt --migrate` through the real console script: --check, --diff, writing, refusing."""

from __future__ import annotations

from pathlib import Path

from .conftest import Symbi

UPSTREAM = """// kept as written
agent reporter(t: String) -> R {
    capabilities = ["read"]
}

schedule nightly {
    cron = "0 0 2 * * *"
    agent = reporter
    deliver = "stdout"
}
"""


def test_check_and_diff_write_nothing_then_migrating_writes_our_dialect(symbi: Symbi, tmp_path: Path) -> None:
    path = tmp_path / "up.symbi"
    path.write_text(UPSTREAM)
    checked = symbi("fmt", "--migrate", "--check", "up.symbi")
    assert checked.code == 1 and "would reformat up.symbi" in checked.err
    diff = symbi("fmt", "--migrate", "--diff", "up.symbi")
    assert diff.code == 0
    assert "-schedule nightly {" in diff.out and '+    name: "nightly"' in diff.out
    assert path.read_text() == UPSTREAM
    written = symbi("fmt", "--migrate", "up.symbi")
    assert written.code == 0
    migrated = path.read_text()
    assert migrated.startswith(UPSTREAM[: UPSTREAM.index("schedule")])  # the rest is untouched
    assert 'delivery: ["stdout"]' in migrated and "cron =" not in migrated
    assert symbi("fmt", "--migrate", "--check", "up.symbi").code == 0
    assert symbi("check", "up.symbi").code == 0


def test_a_file_with_errors_is_refused_and_left_alone(symbi: Symbi, tmp_path: Path) -> None:
    text = UPSTREAM.replace('deliver = "stdout"', 'deliver = "pager://x"')
    path = tmp_path / "bad.symbi"
    path.write_text(text)
    result = symbi("fmt", "--migrate", "bad.symbi")
    assert result.code == 1
    assert "SYM309" not in result.out and "cannot map" in result.err
    assert path.read_text() == text

"""`--now` pins time for `check`, `compile` and `next`, so their results never depend on the day they
run; `next` reads a folder like `check`; a configuration path that is not a readable file is exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import Symbi

AGENT = 'agent a {\n  command: ["true"]\n}\n'
ONE_SHOT = 'schedule launch {\n  agent: "a"\n  at: "2030-06-01T09:00:00Z"\n}\n\n' + AGENT
RUNS_OUT = 'schedule y {\n  agent: "a"\n  cron: "0 0 0 1 1 * 2031"\n}\n\n' + AGENT


def test_check_judges_a_one_shot_at_the_given_now(symbi: Symbi, tmp_path: Path) -> None:
    (tmp_path / "launch.symbi").write_text(ONE_SHOT)
    before = symbi("check", "launch.symbi", "--now", "2030-01-01T00:00:00Z")
    assert (before.code, before.out.strip()) == (0, "checked 1 file: no problems")
    after = symbi("check", "launch.symbi", "--now", "2030-06-02T00:00:00Z")
    # A passed one-shot is a warning: exit 0, 1 only with --strict.
    assert after.code == 0
    assert (
        "warning[SYM209]: one-shot time 2030-06-01T09:00:00Z has passed (now: 2030-06-02T00:00:00Z)"
        in after.out
    )
    assert "catch-up window" in after.out
    strict = symbi("check", "launch.symbi", "--strict", "--now", "2030-06-02T00:00:00Z")
    assert strict.code == 1
    as_json = json.loads(symbi("check", "launch.symbi", "-f", "json", "--now", "2030-06-02").out)
    assert [(d["code"], d["severity"]) for d in as_json["diagnostics"]] == [("SYM209", "warning")]


def test_check_now_also_decides_an_exhausted_cron(symbi: Symbi, tmp_path: Path) -> None:
    (tmp_path / "y.symbi").write_text(RUNS_OUT)
    assert symbi("check", "y.symbi", "--now", "2030-01-01T00:00:00Z").code == 0
    late = symbi("check", "y.symbi", "--now", "2032-01-01T00:00:00Z")
    assert late.code == 1 and "error[SYM203]" in late.out


def test_a_bad_now_is_a_usage_error(symbi: Symbi, tmp_path: Path) -> None:
    (tmp_path / "launch.symbi").write_text(ONE_SHOT)
    for command in ("check", "compile", "next"):
        r = symbi(command, "launch.symbi", "--now", "soon")
        assert r.code == 2, command
        assert "--now 'soon': not an ISO 8601 date-time" in r.err


def test_compile_takes_now(symbi: Symbi, tmp_path: Path) -> None:
    (tmp_path / "y.symbi").write_text(RUNS_OUT)
    assert symbi("compile", "y.symbi", "--now", "2030-01-01T00:00:00Z").code == 0
    assert symbi("compile", "y.symbi", "--now", "2032-01-01T00:00:00Z").code == 1


def test_next_reads_a_folder_like_check(symbi: Symbi, tmp_path: Path) -> None:
    (tmp_path / "jobs" / "deep").mkdir(parents=True)
    (tmp_path / "jobs" / "deep" / "launch.symbi").write_text(ONE_SHOT)
    r = symbi("next", "jobs", "--now", "2030-05-31T09:00:00Z")
    assert r.code == 0, r.err
    assert r.out == (
        "launch: 2030-06-01T09:00:00Z (UTC): once, at 2030-06-01T09:00:00+00:00\n"
        "  Sat 2030-06-01 09:00:00 UTC  in 1d 0h\n"
    )
    assert "field" not in r.err  # never read as a cron expression ("has 1 field")


def test_config_that_is_not_a_readable_file_is_exit_2(symbi: Symbi, tmp_path: Path) -> None:
    (tmp_path / "launch.symbi").write_text(ONE_SHOT)
    (tmp_path / "conf.d").mkdir()
    folder = symbi("check", "launch.symbi", "--config", "conf.d", "--now", "2030-01-01")
    assert folder.code == 2 and "conf.d: cannot read configuration: not a file" in folder.err
    missing = symbi("check", "launch.symbi", "--config", "nope.toml", "--now", "2030-01-01")
    assert missing.code == 2 and "--config nope.toml: no such file" in missing.err
    (tmp_path / "bad.toml").write_bytes(b"\xff\xfe not toml")
    broken = symbi("check", "launch.symbi", "--config", "bad.toml", "--now", "2030-01-01")
    assert broken.code == 2 and "bad.toml: cannot read configuration" in broken.err
    # ./symbi.toml is read by default: a folder by that name is an error, not silently ignored.
    (tmp_path / "symbi.toml").mkdir()
    default = symbi("check", "launch.symbi", "--now", "2030-01-01")
    assert default.code == 2 and "symbi.toml: cannot read configuration: not a file" in default.err

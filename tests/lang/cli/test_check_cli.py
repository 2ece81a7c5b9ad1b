"""`symbi check` through a real subprocess: exit codes, streams, stdin, every output format."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from sarif_pydantic import Sarif
from syrupy.assertion import SnapshotAssertion

from .conftest import Symbi

CLEAN = """\
agent greeter {
  command: ["echo", "hi"]
}

schedule hello {
  agent: "greeter"
  cron: "0 */5 * * * *"
  delivery: ["stdout"]
}
"""

# Four independent syntax mistakes: a missing colon, an unterminated string, a stray brace and a missing
# comma in a list. The parser reports each once and recovers.
BROKEN = """\
agent reporter {
  command: ["echo", "hi"]
}
schedule {
    name "daily"
    cron: "0 0 9 * * 1-5"
    agent: "reporter
}
}
schedule other {
  agent: "reporter"
  cron: "0 * * * * *"
  delivery: ["stdout" "log_file"]
}
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "clean.symbi").write_text(CLEAN)
    (tmp_path / "broken.symbi").write_text(BROKEN)
    nested = tmp_path / "more" / "deeper"
    nested.mkdir(parents=True)
    other = CLEAN.replace("hello", "hello_again").replace("greeter", "greeter_2")
    (nested / "also_clean.symbi").write_text(other)
    (tmp_path / "empty").mkdir()
    return tmp_path


def test_clean_file_exits_0_with_a_summary(symbi: Symbi, files: Path) -> None:
    r = symbi("check", "clean.symbi")
    assert r.code == 0, r.out + r.err
    assert r.out == "checked 1 file: no problems\n"
    assert r.err == ""


def test_errors_exit_1_and_render_like_rustc(symbi: Symbi, files: Path, snapshot: SnapshotAssertion) -> None:
    r = symbi("check", "broken.symbi")
    assert r.code == 1
    assert r.err == ""
    assert "\x1b[" not in r.out  # not a terminal: no colour
    assert r.out.count("error[SYM") == 4
    assert " --> broken.symbi:5:10\n" in r.out
    assert r.out.endswith("checked 1 file: 4 errors\n")
    assert r.out == snapshot


def test_directories_are_searched_recursively(symbi: Symbi, files: Path) -> None:
    r = symbi("check", "more", "clean.symbi", "--format", "json")
    assert r.code == 0
    doc = json.loads(r.out)
    assert doc["valid"] is True
    r = symbi("check", ".", "--format", "json")
    doc = json.loads(r.out)
    assert {d["file"] for d in doc["diagnostics"]} == {"broken.symbi"}


def test_json_has_exactly_the_documented_shape(
    symbi: Symbi, files: Path, snapshot: SnapshotAssertion
) -> None:
    r = symbi("check", "broken.symbi", "clean.symbi", "--format", "json")
    assert r.code == 1
    doc = json.loads(r.out)
    assert list(doc) == ["format_version", "valid", "error_count", "warning_count", "diagnostics"]
    assert doc["format_version"] == "1"
    assert doc["valid"] is False
    assert doc["error_count"] == 4 == len(doc["diagnostics"])
    for d in doc["diagnostics"]:
        assert list(d) == ["code", "severity", "message", "file", "range", "help"]
        start, end = d["range"]["start"], d["range"]["end"]
        assert (start["line"], start["column"]) <= (end["line"], end["column"])
        assert start["line"] >= 1 and start["column"] >= 1
    first = doc["diagnostics"][0]
    assert first["code"] == "SYM002"
    assert first["range"] == {"start": {"line": 5, "column": 10}, "end": {"line": 5, "column": 17}}
    assert doc == snapshot


def test_github_annotations(symbi: Symbi, files: Path, snapshot: SnapshotAssertion) -> None:
    r = symbi("check", "broken.symbi", "--format", "github")
    assert r.code == 1
    lines = r.out.splitlines()
    assert len(lines) == 4
    assert all(line.startswith("::error file=broken.symbi,line=") for line in lines)
    assert all("\n" not in line and "title=SYM" in line for line in lines)
    assert r.out == snapshot


def test_sarif_is_valid_2_1_0(symbi: Symbi, files: Path) -> None:
    r = symbi("check", "broken.symbi", "clean.symbi", "--format", "sarif")
    assert r.code == 1
    doc = json.loads(r.out)
    Sarif.model_validate(doc)  # raises on a structurally invalid log
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == sorted(set(rules))
    assert len(run["results"]) == 4
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] == "error"
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.symbi"


def test_stdin_with_a_filename(symbi: Symbi, files: Path) -> None:
    r = symbi("check", "-", "--stdin-filename", "from/editor.symbi", "--format", "json", stdin=BROKEN)
    assert r.code == 1
    assert {d["file"] for d in json.loads(r.out)["diagnostics"]} == {"from/editor.symbi"}
    r = symbi("check", "-", stdin=CLEAN)
    assert (r.code, r.out) == (0, "checked 1 file: no problems\n")


def test_stdin_that_is_not_utf8_is_an_io_error(symbi: Symbi, files: Path) -> None:
    r = symbi("check", "-", stdin=b"schedule \xff {}")
    assert r.code == 2
    assert "error[SYM903]" in r.out


def test_missing_file_is_exit_2(symbi: Symbi, files: Path) -> None:
    r = symbi("check", "nope.symbi", "clean.symbi")
    assert r.code == 2
    assert "error[SYM901]: no such file or directory: nope.symbi" in r.out


def test_usage_errors_exit_2_on_stderr(symbi: Symbi, files: Path) -> None:
    r = symbi("check", "clean.symbi", "--format", "xml")
    assert r.code == 2
    assert r.out == ""
    assert "xml" in r.err
    r = symbi("check", "clean.symbi", "--stdin-filename", "x.symbi")
    assert r.code == 2
    assert "--stdin-filename needs `-`" in r.err
    r = symbi("check", "clean.symbi", "--env-file", "missing.env")
    assert r.code == 2
    assert "missing.env" in r.err


def test_warnings_pass_unless_strict(symbi: Symbi, files: Path) -> None:
    r = symbi("check", "empty")
    assert r.code == 0
    assert "warning[SYM904]: no .symbi files found under empty" in r.out
    assert symbi("check", "empty", "--strict").code == 1


def test_env_file_with_a_bad_line_is_a_usage_error(symbi: Symbi, files: Path) -> None:
    (files / "bad.env").write_text('GOOD=1\nthis line is "broken\n')
    r = symbi("check", "clean.symbi", "--env-file", "bad.env")
    assert r.code == 2
    assert "bad.env" in r.err


def _run_on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run symbi with stdout on a pseudo-terminal and return what it wrote there."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "symbi_lang.cli.main", *args],
        cwd=cwd,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO once the child has closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode()


def test_colour_only_on_a_terminal_and_never_with_no_color(files: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert "\x1b[1;31merror[SYM002]" in _run_on_a_terminal(["check", "broken.symbi"], files, env)
    no_color = _run_on_a_terminal(["check", "broken.symbi"], files, {**env, "NO_COLOR": "1"})
    assert "\x1b[" not in no_color
    assert "error[SYM002]" in no_color


def test_check_does_not_import_the_runtime_the_lsp_or_http(files: Path) -> None:
    probe = (
        "import sys\n"
        "from symbi_lang.cli.main import main\n"
        "try:\n"
        "    main(['check', 'clean.symbi', 'broken.symbi'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=files, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    loaded = set(out.split())
    assert "symbi_lang.parser" in loaded  # the probe really ran a check
    forbidden = ("symbi_runtime", "symbi_lsp", "pygls", "lsprotocol", "httpx", "httpcore", "jinja2", "rich")
    assert sorted(m for m in loaded if m.split(".")[0] in forbidden) == []


SLACK = """\
agent a {
  command: ["true"]
}

schedule s {
  agent: "a"
  cron: "0 * * * * *"
  delivery: ["slack"]
}
"""


def test_a_configured_slack_default_channel_makes_slack_channel_optional(
    symbi: Symbi, tmp_path: Path
) -> None:
    (tmp_path / "slack.symbi").write_text(SLACK)
    r = symbi("check", "slack.symbi")
    assert r.code == 1
    assert "error[SYM304]" in r.out
    (tmp_path / "symbi.toml").write_text('[scheduler.delivery]\nslack_default_channel = "#ops"\n')
    assert symbi("check", "slack.symbi").code == 0
    (tmp_path / "other.toml").write_text("[scheduler.delivery]\n")
    assert symbi("check", "slack.symbi", "--config", "other.toml").code == 1
    assert symbi("check", "slack.symbi", env={"SYMBI_SLACK_DEFAULT_CHANNEL": "#x"}).code == 0
    (tmp_path / "broken.toml").write_text("bad = [\n")
    r = symbi("check", "slack.symbi", "--config", "broken.toml")
    assert r.code == 2
    assert "broken.toml: cannot read configuration" in r.err


def test_words_after_the_last_block_are_an_error_and_fmt_keeps_them(symbi: Symbi, tmp_path: Path) -> None:
    text = CLEAN + "\nschedule nightly\n"
    (tmp_path / "tail.symbi").write_text(text)
    r = symbi("check", "tail.symbi")
    assert r.code == 1
    assert "error[SYM011]" in r.out and " --> tail.symbi:11:1" in r.out
    assert symbi("fmt", "tail.symbi").code == 1
    assert (tmp_path / "tail.symbi").read_text() == text  # nothing deleted


def test_a_file_named_twice_is_checked_once(symbi: Symbi, files: Path) -> None:
    r = symbi("check", ".", "./clean.symbi", "clean.symbi", "--format", "json")
    codes = {d["code"] for d in json.loads(r.out)["diagnostics"]}
    assert "SYM701" not in codes and "SYM702" not in codes


def test_single_quotes_are_one_error_whose_fix_repairs_the_file() -> None:
    from symbi_lang.parser import parse

    text = "schedule s {\n  agent: 'worker'\n  cron: \"0 0 9 * * *\"\n}\n"
    result = parse(text, path="q.symbi")
    assert [d.code for d in result.diagnostics] == ["SYM012"]
    [edit] = result.diagnostics[0].fixes[0].edits
    fixed = text[: edit.span.start.offset] + edit.new_text + text[edit.span.end.offset :]
    assert fixed == 'schedule s {\n  agent: "worker"\n  cron: "0 0 9 * * *"\n}\n'
    assert parse(fixed, path="q.symbi").ok
    [schedule] = result.module.schedules
    assert schedule.field("agent").value.value == "worker"  # type: ignore[union-attr]

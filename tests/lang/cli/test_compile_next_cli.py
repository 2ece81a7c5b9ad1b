"""`symbi compile` and `symbi next` through a real subprocess."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest

import symbi_lang

from .conftest import Symbi

SCHEDULES = """\
agent reporter {
  command: ["echo", "report"]
}

schedule {
  name: "daily-report"
  agent: "reporter"
  cron: "0 30 2 * * *"
  timezone: "America/New_York"
  webhook_url: "${HOOK_URL}"
  delivery: ["webhook"]
}

schedule release {
  agent: "other"
  at: "2031-01-01T00:00:00Z"
}
"""

SCHEMA = json.loads((Path(symbi_lang.__file__).parent / "job_ir.schema.json").read_text())


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "jobs.symbi").write_text(SCHEDULES)
    (tmp_path / "bad.symbi").write_text('schedule x {\n  agent: "a"\n  cron: "0 0 25 * * *"\n}\n')
    return tmp_path


def test_compile_prints_schema_valid_deterministic_ir(symbi: Symbi, files: Path) -> None:
    first = symbi("compile", "jobs.symbi")
    assert first.code == 0, first.err
    doc = json.loads(first.out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["ir_version"] == "1"
    assert [j["name"] for j in doc["jobs"]] == ["daily-report", "release"]
    job = doc["jobs"][0]
    assert job["webhook_url"] == "${HOOK_URL}"  # never resolved at compile time
    assert job["source"] == {"file": "jobs.symbi", "line": 5, "column": 1}
    again = symbi("compile", "jobs.symbi", env={"HOOK_URL": "https://secret.example/hook"})
    assert again.out == first.out
    assert "secret.example" not in again.out


def test_compile_one_schedule(symbi: Symbi, files: Path) -> None:
    r = symbi("compile", "jobs.symbi", "--schedule", "daily-report")
    doc = json.loads(r.out)
    assert [j["name"] for j in doc["jobs"]] == ["daily-report"]
    assert [a["name"] for a in doc["agents"]] == ["reporter"]
    r = symbi("compile", "jobs.symbi", "--schedule", "nope")
    assert r.code == 1
    assert "no schedule named 'nope' (schedules in this file: daily-report, release)" in r.err


def test_compile_refuses_a_file_with_errors(symbi: Symbi, files: Path) -> None:
    r = symbi("compile", "bad.symbi")
    assert r.code == 1
    assert r.out == ""
    assert "error[SYM201]: hour must be 0-23, got 25" in r.err
    assert " --> bad.symbi:3:" in r.err
    assert symbi("compile", "missing.symbi").code == 2


def test_compile_from_stdin(symbi: Symbi, files: Path) -> None:
    r = symbi("compile", "-", "--stdin-filename", "piped.symbi", stdin=SCHEDULES)
    assert r.code == 0
    assert json.loads(r.out)["jobs"][0]["source"]["file"] == "piped.symbi"


def test_next_for_an_expression_in_json(symbi: Symbi, files: Path) -> None:
    r = symbi(
        "next",
        "0 30 2 * * *",
        "-n",
        "3",
        "--after",
        "2026-03-07T12:00:00",
        "--tz",
        "America/New_York",
        "--format",
        "json",
    )
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert list(doc) == ["expression", "timezone", "next"]
    # 02:30 does not exist on 2026-03-08 (spring forward): Vixie cron fires once at 03:00 instead.
    assert doc["next"] == [
        "2026-03-08T03:00:00-04:00",
        "2026-03-09T02:30:00-04:00",
        "2026-03-10T02:30:00-04:00",
    ]
    times = [datetime.fromisoformat(t) for t in doc["next"]]
    assert times == sorted(times)


def test_next_for_a_file_lists_every_schedule(symbi: Symbi, files: Path) -> None:
    r = symbi("next", "jobs.symbi", "-n", "2", "--after", "2026-11-24T00:00:00Z", "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert [e["schedule"] for e in doc] == ["daily-report", "release"]
    assert doc[0]["timezone"] == "America/New_York"
    assert doc[0]["next"] == ["2026-11-24T02:30:00-05:00", "2026-11-25T02:30:00-05:00"]
    assert doc[1]["next"] == ["2031-01-01T00:00:00+00:00"]


def test_next_text_output(symbi: Symbi, files: Path) -> None:
    now = ("--now", "2036-11-24T06:00:00Z")  # "now" is pinned: the relative column never depends on today
    r = symbi("next", "0 0 9 * * 1-5", "-n", "2", "--after", "2036-11-24T10:00:00Z", *now)
    assert r.code == 0
    lines = r.out.splitlines()
    assert lines[0] == "0 0 9 * * 1-5 (UTC): at 09:00:00, Monday through Friday"
    assert lines[1] == "  Tue 2036-11-25 09:00:00 UTC  in 1d 3h"  # relative to now
    assert lines[2] == "  Wed 2036-11-26 09:00:00 UTC  in 2d 3h"
    past = symbi("next", "0 0 9 * * 1-5", "-n", "1", "--after", "2020-01-01T00:00:00Z", *now)
    assert past.out.splitlines()[1].startswith("  Wed 2020-01-01 09:00:00 UTC  ")
    assert past.out.rstrip().endswith(" ago")
    default = symbi("next", "0 0 9 * * 1-5", "-n", "1", *now)  # --after defaults to --now
    assert default.out.splitlines()[1] == "  Mon 2036-11-24 09:00:00 UTC  in 3h 0m"
    never = symbi("next", "0 0 0 30 2 *")
    assert never.code == 1
    assert "never fires" in never.err


def test_next_rejects_bad_input_clearly(symbi: Symbi, files: Path) -> None:
    r = symbi("next", "0 0 25 * * *")
    assert r.code == 1
    assert r.err.splitlines()[:3] == [
        "error: invalid cron expression: hour must be 0-23, got 25",
        "  | 0 0 25 * * *",
        "  |     ^^",
    ]
    r = symbi("next", "0 9 * * 1-5")
    assert r.code == 1
    assert '"0 0 9 * * 1-5"' in r.err  # the help shows the seconds-first form
    r = symbi("next", "0 0 9 * * *", "--tz", "Mars/Olympus")
    assert (r.code, "unknown time zone" in r.err) == (2, True)
    r = symbi("next", "0 0 9 * * *", "--after", "yesterday")
    assert (r.code, "not an ISO 8601" in r.err) == (2, True)
    r = symbi("next", "bad.symbi")
    assert r.code == 1
    assert "SYM201" in r.err

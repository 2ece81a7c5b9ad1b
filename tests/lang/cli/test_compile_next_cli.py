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
    assert list(doc) == ["expression", "timezone", "next", "offsets", "dst_changes"]
    # 02:30 does not exist on 2026-03-08 (spring forward): Vixie cron fires once at 03:00 instead.
    assert doc["next"] == [
        "2026-03-08T03:00:00-04:00",
        "2026-03-09T02:30:00-04:00",
        "2026-03-10T02:30:00-04:00",
    ]
    times = [datetime.fromisoformat(t) for t in doc["next"]]
    assert times == sorted(times)
    assert doc["offsets"] == ["-04:00", "-04:00", "-04:00"]
    # The change happened between --after and the first fire (index -1), and it moved that fire.
    [change] = doc["dst_changes"]
    assert change["after_index"] == -1
    assert (change["at"], change["from"], change["to"]) == ("2026-03-08T07:00:00+00:00", "-05:00", "-04:00")
    assert change["note"].endswith("02:30:00 does not exist that day, so it runs once at 03:00:00")


def test_next_marks_a_fall_back_between_two_fires(symbi: Symbi) -> None:
    r = symbi("next", "0 30 1 * * *", "-n", "3", "--after", "2026-10-24T12:00:00Z", "--tz", "Europe/London")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[1].startswith("  Sun 2026-10-25 01:30:00 BST +01:00  ")
    assert lines[2] == (
        "  ~ clocks go back 1h at 2026-10-25 02:00 (BST +01:00 → GMT +00:00): "
        "01:30:00 happens twice, and it runs once (the first time)"
    )
    assert lines[3].startswith("  Mon 2026-10-26 01:30:00 GMT +00:00  ")
    # A wildcard-hour job follows real time: the repeated half-hours run in both passes.
    j = symbi(
        "next",
        "0 */30 1 * * *",
        "-n",
        "5",
        "--after",
        "2026-10-24T12:00:00Z",
        "--tz",
        "Europe/London",
        "--format",
        "json",
    )
    doc = json.loads(j.out)
    assert doc["offsets"] == ["+01:00", "+01:00", "+00:00", "+00:00", "+00:00"]
    [change] = doc["dst_changes"]
    assert change["after_index"] == 1
    assert change["note"].endswith("its 2 time(s) from 01:00:00 happen twice, and it runs at both")
    # Offsets agree with the ISO strings they sit beside.
    assert [t[-6:] for t in doc["next"]] == doc["offsets"]


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
    assert lines[1] == "  Tue 2036-11-25 09:00:00 UTC +00:00  in 1d 3h"  # relative to now
    assert lines[2] == "  Wed 2036-11-26 09:00:00 UTC +00:00  in 2d 3h"
    past = symbi("next", "0 0 9 * * 1-5", "-n", "1", "--after", "2020-01-01T00:00:00Z", *now)
    assert past.out.splitlines()[1].startswith("  Wed 2020-01-01 09:00:00 UTC +00:00  ")
    assert past.out.rstrip().endswith(" ago")
    default = symbi("next", "0 0 9 * * 1-5", "-n", "1", *now)  # --after defaults to --now
    assert default.out.splitlines()[1] == "  Mon 2036-11-24 09:00:00 UTC +00:00  in 3h 0m"
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

"""`one_shot: true` with `cron` in what the toolchain shows: `symbi compile`, `symbi next`, `symbi docs`.

Each shows one fire: the first match after the given instant (the moment a store would load the job).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema

import symbi_lang
from symbi_lang.api import Source, analyze
from symbi_lang.docs.model import build_site

from .conftest import Symbi

LAUNCH = """\
agent announcer {
  command: ["echo", "launched"]
}

schedule {
  name: "launch"
  agent: "announcer"
  cron: "0 0 9 * * MON"
  timezone: "Europe/Berlin"
  one_shot: true
}

schedule {
  name: "daily"
  agent: "announcer"
  cron: "0 0 9 * * *"
  timezone: "Europe/Berlin"
}
"""
SCHEMA = json.loads((Path(symbi_lang.__file__).parent / "job_ir.schema.json").read_text())


def test_compile_writes_the_flag_and_no_instant(symbi: Symbi, tmp_path: Path) -> None:
    (tmp_path / "launch.symbi").write_text(LAUNCH)
    first = symbi("compile", "launch.symbi", env={"TZ": "UTC"})
    assert first.code == 0, first.err
    doc = json.loads(first.out)
    jsonschema.validate(doc, SCHEMA)
    launch, daily = doc["jobs"]
    assert launch["one_shot"] is True and launch["cron_expr"] == "0 0 9 * * MON" and launch["at"] is None
    assert "one_shot" not in daily
    # deterministic: compiling on another day (another "now") gives the same bytes
    again = symbi("compile", "launch.symbi", env={"TZ": "Asia/Tokyo"})
    assert again.out == first.out


def test_next_shows_a_single_fire(symbi: Symbi, tmp_path: Path) -> None:
    (tmp_path / "launch.symbi").write_text(LAUNCH)
    after = ("--after", "2030-06-04T00:00:00Z", "--now", "2030-06-04T00:00:00Z")
    r = symbi("next", "launch.symbi", "-n", "3", *after, "--format", "json")
    assert r.code == 0, r.err
    launch, daily = json.loads(r.out)
    assert launch["next"] == ["2030-06-10T09:00:00+02:00"] and launch["one_shot"] is True
    assert len(daily["next"]) == 3 and "one_shot" not in daily
    text = symbi("next", "launch.symbi", "-n", "3", *after)
    assert text.code == 0, text.err
    block = text.out.split("\n\n")[0]
    assert "once, at the first match after loading" in block
    assert block.count("2030-06-") == 1


def test_docs_show_one_fire_and_the_one_shot_badge() -> None:
    jobset = analyze([Source("launch.symbi", LAUNCH)]).jobset()
    site = build_site(jobset, datetime(2030, 6, 4, tzinfo=UTC))
    launch, daily = site.schedules
    assert [datetime.fromisoformat(r.iso) for r in launch.next_runs] == [datetime(2030, 6, 10, 7, tzinfo=UTC)]
    assert "one-shot" in launch.badges and "one-shot" not in daily.badges
    assert launch.human.startswith("once, at the first match after loading")
    assert launch.counts.total == 1 and daily.counts.total > 1
    assert ("one_shot", "true") in [(f.label, f.value) for f in launch.fields]

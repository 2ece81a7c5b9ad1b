"""`symbi check` and the herd threshold from `symbi.toml` (`[check] herd_threshold`), in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import Symbi

# Every minute on second 0: these coincide whatever "now" is.
FLEET = 'agent a {\n  command: ["echo", "hi"]\n}\n' + "".join(
    f'schedule s{i} {{\n  agent: "a"\n  cron: "0 * * * * *"\n}}\n' for i in range(6)
)


def test_the_threshold_comes_from_symbi_toml(symbi: Symbi, tmp_path: Path) -> None:
    (tmp_path / "fleet.symbi").write_text(FLEET, encoding="utf-8")
    quiet = symbi("check", "fleet.symbi", "--format", "json")
    assert quiet.code == 0 and json.loads(quiet.out)["warning_count"] == 0  # 6 <= the default 20

    (tmp_path / "symbi.toml").write_text("[check]\nherd_threshold = 5\n", encoding="utf-8")
    loud = symbi("check", "fleet.symbi", "--format", "json")
    assert loud.code == 0, loud.err  # a warning: exit 0
    [d] = json.loads(loud.out)["diagnostics"]
    assert d["code"] == "SYM220" and d["severity"] == "warning"
    assert d["message"].startswith("6 schedules fire in the same second")
    assert "herd_threshold = 5" in d["help"]
    assert symbi("check", "fleet.symbi", "--strict").code == 1


def test_a_bad_threshold_is_a_usage_error_naming_the_file(symbi: Symbi, tmp_path: Path) -> None:
    (tmp_path / "fleet.symbi").write_text(FLEET, encoding="utf-8")
    (tmp_path / "symbi.toml").write_text('[check]\nherd_threshold = "many"\n', encoding="utf-8")
    r = symbi("check", "fleet.symbi")
    assert r.code == 2
    assert "symbi.toml: [check] herd_threshold must be a whole number >= 0" in r.err
    assert "Traceback" not in r.err


def test_the_coming_week_starts_at_now(symbi: Symbi, tmp_path: Path) -> None:
    weekday = FLEET.replace('cron: "0 * * * * *"', 'cron: "0 0 9 * * 1-5"\n  timezone: "Europe/Berlin"')
    (tmp_path / "fleet.symbi").write_text(weekday, encoding="utf-8")
    (tmp_path / "symbi.toml").write_text("[check]\nherd_threshold = 5\n", encoding="utf-8")
    # Friday evening: the next weekday 09:00 in Berlin is Monday, 08:00 UTC (winter time).
    r = symbi("check", "fleet.symbi", "--format", "json", "--now", "2027-01-15T18:00:00Z")
    [d] = json.loads(r.out)["diagnostics"]
    assert "Mon 2027-01-18 08:00:00 UTC" in d["message"]
    # In summer the same schedules meet an hour earlier in UTC.
    summer = symbi("check", "fleet.symbi", "--format", "json", "--now", "2027-07-16T18:00:00Z")
    assert "Mon 2027-07-19 07:00:00 UTC" in json.loads(summer.out)["diagnostics"][0]["message"]

"""SYM220: too many schedules starting on one UTC second over the coming week (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbi_lang.api import CheckContext, Source, analyze
from symbi_lang.checks.herd import WEEK_SECONDS, check_herd, fires_between
from symbi_lang.cron import CronSpec
from symbi_lang.diagnostics import Diagnostic

NOW = datetime(2027, 3, 24, 12, 0, tzinfo=UTC)  # the week after holds Europe's spring-forward (Mar 28)


def schedules(rows: list[tuple[str, str, str]], extra: str = "", *, agent: bool = True) -> str:
    """`rows` of (name, cron, zone) as schedule blocks, all calling one agent (defined when `agent`)."""
    out = ['agent a {\n  command: ["echo", "hi"]\n}\n'] if agent else []
    for name, cron, zone in rows:
        out.append(
            f'schedule {name} {{\n  agent: "a"\n  cron: "{cron}"\n  timezone: "{zone}"\n'
            f'  delivery: ["stdout"]{extra}\n}}\n'
        )
    return "\n".join(out)


def herd(text: str, *, threshold: int = 20, now: datetime = NOW, jitter: float = 0.0) -> list[Diagnostic]:
    ctx = CheckContext(now=now, herd_threshold=threshold, default_jitter_seconds=jitter)
    analysis = analyze([Source("fleet.symbi", text)], ctx)
    return [d for d in analysis.diagnostics if d.code == "SYM220"]


def test_over_the_threshold_warns_once_naming_the_worst_second_count_and_schedules() -> None:
    rows = [(f"job_{i}", "0 0 9 * * *", "UTC") for i in range(21)]
    found = herd(schedules(rows))
    assert len(found) == 1
    d = found[0]
    assert d.severity.value == "warning"
    assert d.message.startswith("21 schedules fire in the same second, Thu 2027-03-25 09:00:00 UTC: ")
    assert "`job_0`, `job_1`, `job_2`, `job_3`, `job_4` and 16 more" in d.message
    assert d.help is not None and "jitter" in d.help and "herd_threshold = 20" in d.help
    assert d.fixes and d.fixes[0].edits[0].new_text == '\n  jitter: "30s"'
    assert len(d.related) == 4


def test_at_the_threshold_is_quiet_and_zero_turns_the_check_off() -> None:
    rows = [(f"job_{i}", "0 0 9 * * *", "UTC") for i in range(20)]
    assert herd(schedules(rows)) == []
    rows21 = [*rows, ("job_x", "0 0 9 * * *", "UTC")]
    assert herd(schedules(rows21), threshold=0) == []
    assert len(herd(schedules(rows21), threshold=10)) == 1


def test_zones_are_applied_before_comparing_instants() -> None:
    # 09:00 in Berlin (UTC+1 before Mar 28) is 08:00 UTC: ten of each land on the same instant.
    rows = [(f"berlin_{i}", "0 0 9 * * *", "Europe/Berlin") for i in range(10)]
    rows += [(f"utc_{i}", "0 0 8 * * *", "UTC") for i in range(10)]
    found = herd(schedules(rows), threshold=15)
    assert len(found) == 1
    assert "20 schedules fire in the same second, Thu 2027-03-25 08:00:00 UTC" in found[0].message
    # The same local times, ten of each, without the offset lining them up: two groups of ten.
    rows = [(f"berlin_{i}", "0 0 9 * * *", "Europe/Berlin") for i in range(10)]
    rows += [(f"utc_{i}", "0 0 9 * * *", "UTC") for i in range(10)]
    assert herd(schedules(rows), threshold=15) == []


def test_a_dst_change_inside_the_week_moves_the_coincidence() -> None:
    # After Mar 28 Berlin is UTC+2: 09:00 Berlin = 07:00 UTC, so it meets the 07:00 UTC schedules then.
    rows = [(f"berlin_{i}", "0 0 9 * * *", "Europe/Berlin") for i in range(10)]
    rows += [(f"utc_{i}", "0 0 7 * * *", "UTC") for i in range(10)]
    found = herd(schedules(rows), threshold=15)
    assert len(found) == 1
    assert "Sun 2027-03-28 07:00:00 UTC" in found[0].message  # the change is at 01:00 UTC that day
    # A week earlier (no change in the window) they never meet.
    assert herd(schedules(rows), threshold=15, now=NOW - timedelta(days=14)) == []


def test_different_seconds_never_coincide_and_are_not_counted_together() -> None:
    rows = [(f"a_{i}", "0 0 9 * * *", "UTC") for i in range(15)]
    rows += [(f"b_{i}", "30 0 9 * * *", "UTC") for i in range(15)]
    assert herd(schedules(rows)) == []


def test_jitter_spreads_a_herd_over_its_window() -> None:
    rows = [(f"job_{i}", "0 0 9 * * *", "UTC") for i in range(40)]
    assert len(herd(schedules(rows))) == 1
    # 40 starts over a 10-second window: 4 expected per second.
    assert herd(schedules(rows, '\n  jitter: "10s"')) == []
    # The configured max_jitter applies to schedules without their own.
    assert herd(schedules(rows), jitter=10) == []
    # A jitter window wider than the schedules' own period is cut at the next fire, like the runtime does:
    # 30 schedules every 2 s spread over 2 s, not 60 s, are 15 starts a second.
    many = [(f"job_{i}", "*/2 * * * * *", "UTC") for i in range(30)]
    assert herd(schedules(many, '\n  jitter: "1m"'), threshold=15) == []
    found = herd(schedules(many, '\n  jitter: "1m"'), threshold=14)
    assert len(found) == 1 and found[0].message.startswith("15 schedules")


def test_one_shot_times_count_and_a_passed_one_does_not() -> None:
    body = ['agent a {\n  command: ["echo", "hi"]\n}\n']
    for i in range(21):
        body.append(f'schedule s{i} {{\n  agent: "a"\n  at: "2027-03-26T10:00:00Z"\n}}\n')
    text = "\n".join(body)
    assert len(herd(text)) == 1
    assert herd(text, now=datetime(2027, 3, 27, tzinfo=UTC)) == []  # passed
    assert herd(text, now=datetime(2027, 3, 1, tzinfo=UTC)) == []  # more than a week ahead


def test_schedules_across_files_are_counted_together() -> None:
    rows = [(f"job_{i}", "0 0 9 * * *", "UTC") for i in range(12)]
    other = [(f"more_{i}", "0 0 9 * * *", "UTC") for i in range(12)]
    ctx = CheckContext(now=NOW)
    sources = [Source("a.symbi", schedules(rows)), Source("b.symbi", schedules(other, agent=False))]
    analysis = analyze(sources, ctx)
    found = [d for d in analysis.diagnostics if d.code == "SYM220"]
    assert len(found) == 1 and found[0].message.startswith("24 schedules")


def test_variables_and_invalid_crons_are_left_to_other_checks() -> None:
    rows = [(f"job_{i}", "${CRON}", "UTC") for i in range(25)]
    assert herd(schedules(rows)) == []
    rows = [(f"job_{i}", "0 0 25 * * *", "UTC") for i in range(25)]
    assert herd(schedules(rows)) == []


def test_the_check_never_raises_on_empty_input() -> None:
    assert list(check_herd([], CheckContext(now=NOW))) == []


CRONS = [
    "0 30 2 * * *",
    "0 0 9 * * 1-5",
    "*/20 * * * * *",
    "0 */15 * * * *",
    "0 0,30 1,2,3 * * *",
    "0 0 0 L * *",
    "15 45 23 * * SUN",
    "0 0 12 1W * *",
]
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Santiago",
]


@settings(max_examples=60, deadline=None)
@given(
    cron=st.sampled_from(CRONS),
    zone=st.sampled_from(ZONES),
    day=st.integers(min_value=0, max_value=365 * 2),
)
def test_fires_between_equals_walking_next_after(cron: str, zone: str, day: int) -> None:
    """The day-at-a-time enumeration is the cron module's own answer, across DST changes too."""
    spec = CronSpec.parse(cron, zone)
    start = datetime(2027, 1, 1, tzinfo=UTC) + timedelta(days=day, hours=5)
    s = int(start.timestamp())
    expected: list[int] = []
    t = spec.next_after(start - timedelta(seconds=1))
    while t is not None and t.timestamp() < s + WEEK_SECONDS:
        expected.append(int(t.timestamp()))
        t = spec.next_after(t)
    assert fires_between(spec, s, s + WEEK_SECONDS) == expected
    # Keeping some seconds of the hour is the same as filtering afterwards (the herd check's pruning).
    keep = frozenset(range(0, 3600, 7)) | {0, 1800}
    kept = fires_between(spec, s, s + WEEK_SECONDS, keep)
    assert kept == [t for t in expected if t % 3600 in keep]


@pytest.mark.parametrize(
    ("zone", "when"),
    [
        ("Europe/Berlin", datetime(2027, 3, 27, tzinfo=UTC)),
        ("Europe/Berlin", datetime(2027, 10, 30, tzinfo=UTC)),
        ("America/New_York", datetime(2027, 11, 6, tzinfo=UTC)),
    ],
)
def test_fires_between_on_dst_days(zone: str, when: datetime) -> None:
    for cron in ("0 30 2 * * *", "0 */30 * * * *", "0 0 * * * *"):
        spec = CronSpec.parse(cron, zone)
        s = int(when.timestamp())
        walked = []
        t = spec.next_after(when - timedelta(seconds=1))
        while t is not None and t.timestamp() < s + 3 * 86400:
            walked.append(int(t.timestamp()))
            t = spec.next_after(t)
        assert fires_between(spec, s, s + 3 * 86400) == walked


def test_a_one_shot_cron_counts_once_at_its_first_match_after_now() -> None:
    # NOW is Wed 2027-03-24 12:00 UTC. Ten one-shot daily 09:00 crons fire once, Thu 09:00; ten recurring
    # Friday 09:00 crons never meet them. Counted as recurring, the one-shots would make 20 on Friday.
    once = [(f"once_{i}", "0 0 9 * * *", "UTC") for i in range(10)]
    friday = [(f"friday_{i}", "0 0 9 * * FRI", "UTC") for i in range(10)]
    text = schedules(once, "\n  one_shot: true") + "\n" + schedules(friday, agent=False)
    assert herd(text, threshold=15) == []
    # Without `one_shot` they meet on Friday 09:00: the same text with recurring crons warns.
    assert len(herd(schedules(once) + "\n" + schedules(friday, agent=False), threshold=15)) == 1
    # One-shots that do coincide are still a herd, reported at their single fire.
    found = herd(schedules([(f"once_{i}", "0 0 9 * * *", "UTC") for i in range(21)], "\n  one_shot: true"))
    assert len(found) == 1
    assert found[0].message.startswith("21 schedules fire in the same second, Thu 2027-03-25 09:00:00 UTC")

"""Do too many schedules start on the same UTC second over the coming week (a thundering herd)?

Fast by construction: schedules with the same expression, zone and jitter are counted once with a
multiplicity; schedules are grouped by the seconds their (second, minute, hour) pattern can fire on and a
group whose size cannot exceed the threshold is never enumerated (zone offsets are whole minutes, so two
schedules whose second fields share no value never coincide). Fires of a day without a clock change are
the day's times of day shifted by one offset, so a day is a list addition, not a cron walk; days with a
clock change fall back to `CronSpec.next_after`, which owns the DST rules.

A jittered schedule starts anywhere in [fire, fire + jitter) (the runtime bounds the jitter below the gap
to the next fire), so it adds 1/jitter of a fire to each second of that window: its expected load.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from operator import add

from symbi_lang import codes
from symbi_lang.ast import Block, Module, NumberValue, StringValue
from symbi_lang.attime import AtError, parse_at
from symbi_lang.checks.context import CheckContext
from symbi_lang.checks.support import indent_of, insertion_at
from symbi_lang.checks.walk import block_name
from symbi_lang.cron import CronError, CronSpec
from symbi_lang.diagnostics import Diagnostic, Fix, Related, TextEdit
from symbi_lang.durations import DurationError, parse_duration
from symbi_lang.span import Span

WEEK_SECONDS = 7 * 86400
_NAMES_SHOWN = 5


@dataclass(frozen=True, slots=True)
class _Member:
    """One schedule in a herd: its name and where to point at it."""

    name: str
    span: Span
    module: Module
    item: Block


@dataclass(frozen=True, slots=True)
class _Key:
    """What decides a schedule's fires: the same key fires at the same instants."""

    cron: str | None
    at: datetime | None
    timezone: str
    jitter: float


def check_herd(modules: Sequence[Module], ctx: CheckContext) -> Iterator[Diagnostic]:
    """Warn once, at the worst second of the coming week, when more than the threshold start together."""
    threshold = ctx.herd_threshold
    if threshold <= 0:
        return
    groups = _schedules(modules, ctx.default_jitter_seconds)
    if sum(len(m) for m in groups.values()) <= threshold:
        return
    now = (ctx.now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    start = int(now.timestamp())
    candidates = _candidate_keys(groups, threshold, start)
    if not candidates:
        return
    worst = _worst_second(candidates, groups, start)
    if worst is None:
        return
    at, load, present = worst
    if load <= threshold:
        return
    members = sorted((m for key in present for m in groups[key]), key=_order)
    yield _diagnostic(members, load, datetime.fromtimestamp(at, UTC), threshold)


def fires_between(spec: CronSpec, start: int, end: int) -> list[int]:
    """Every fire in [start, end) as UTC epoch seconds, ascending (the same instants as iterating
    `spec.next_after`, computed a day at a time)."""
    zone = spec.zone
    first = datetime.fromtimestamp(start, UTC).astimezone(zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end, UTC).astimezone(zone).date() + timedelta(days=1)
    times = spec.times_of_day()
    out: list[int] = []
    day = first
    while day <= last:
        if spec.fires_on(day):
            midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
            nxt = day + timedelta(days=1)
            u0 = int(midnight.timestamp())
            u1 = int(datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone).timestamp())
            steady = (
                u1 - u0 == 86400
                and midnight.utcoffset() == datetime.fromtimestamp(u1 - 1, UTC).astimezone(zone).utcoffset()
            )
            if steady:
                out.extend(u0 + t for t in times)
            else:  # a clock change today: the cron module's DST rules decide
                t = spec.next_after(datetime.fromtimestamp(u0 - 1, UTC))
                while t is not None and t.timestamp() < u1:
                    out.append(int(t.timestamp()))
                    t = spec.next_after(t)
        day += timedelta(days=1)
    return sorted({t for t in out if start <= t < end})


# --- gathering ------------------------------------------------------------------------------------


def _schedules(modules: Sequence[Module], default_jitter: float) -> dict[_Key, list[_Member]]:
    groups: dict[_Key, list[_Member]] = defaultdict(list)
    for module in modules:
        for item in module.items:
            if item.kind != "schedule":
                continue
            key = _key_of(item, default_jitter)
            if key is None:
                continue
            when = item.field("cron") or item.field("at")
            assert when is not None
            groups[key].append(_Member(block_name(item) or "(unnamed)", when.value.span, module, item))
    return groups


def _key_of(item: Block, default_jitter: float) -> _Key | None:
    """The schedule's key, or None when its timing is unknown until run time or invalid (other checks
    report that)."""
    tz_field = item.field("timezone")
    tz = "UTC"
    if tz_field is not None:
        if not isinstance(tz_field.value, StringValue) or "${" in tz_field.value.value:
            return None
        tz = tz_field.value.value
    jitter = _jitter(item, default_jitter)
    if jitter is None:
        return None
    cron, at = item.field("cron"), item.field("at")
    if cron is not None and at is None:
        if not isinstance(cron.value, StringValue) or "${" in cron.value.value:
            return None
        try:
            CronSpec.parse(cron.value.value, tz)
        except (CronError, ValueError):
            return None
        return _Key(cron.value.value, None, tz, jitter)
    if at is not None and cron is None:
        if not isinstance(at.value, StringValue) or "${" in at.value.value:
            return None
        try:
            when = parse_at(at.value.value, tz)
        except (AtError, ValueError):
            return None
        return _Key(None, when.astimezone(UTC), tz, jitter)
    return None


def _jitter(item: Block, default_jitter: float) -> float | None:
    entry = item.field("jitter")
    if entry is None:
        return max(0.0, default_jitter)
    value = entry.value
    if isinstance(value, NumberValue) and value.value >= 0:
        return float(value.value)
    if isinstance(value, StringValue) and "${" not in value.value:
        try:
            return float(parse_duration(value.value))
        except DurationError:
            return None
    return None


# --- grouping -------------------------------------------------------------------------------------


def _seconds_of(key: _Key) -> frozenset[int]:
    if key.at is not None:
        return frozenset({key.at.second})
    assert key.cron is not None
    return frozenset(t % 60 for t in CronSpec.parse(key.cron, key.timezone).times_of_day())


def _candidate_keys(groups: dict[_Key, list[_Member]], threshold: int, start: int) -> list[_Key]:
    """Keys in a group that could exceed the threshold: schedules without jitter joined by a shared
    second value; jittered schedules spill into neighbouring seconds, so they join every group."""
    jittered = [k for k in groups if k.jitter > 0]
    points = [k for k in groups if k.jitter <= 0 and (k.at is None or start <= k.at.timestamp())]
    parent = list(range(len(points)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_second: dict[int, int] = {}
    for i, key in enumerate(points):
        for s in _seconds_of(key):
            j = by_second.setdefault(s, i)
            parent[find(i)] = find(j)
    size: dict[int, int] = defaultdict(int)
    for i, key in enumerate(points):
        size[find(i)] += len(groups[key])
    spill = sum(len(groups[k]) for k in jittered)
    chosen = [k for i, k in enumerate(points) if size[find(i)] + spill > threshold]
    if chosen or spill > threshold:
        chosen.extend(jittered)
    return chosen


# --- counting -------------------------------------------------------------------------------------


def _fires(key: _Key, start: int, end: int) -> list[int]:
    if key.at is not None:
        t = int(key.at.timestamp())
        return [t] if start <= t < end else []
    assert key.cron is not None
    return fires_between(CronSpec.parse(key.cron, key.timezone), start, end)


def _worst_second(
    keys: list[_Key], groups: dict[_Key, list[_Member]], start: int
) -> tuple[int, float, list[_Key]] | None:
    """The second of the week with the most (expected) fires: (epoch, load, keys firing then)."""
    end = start + WEEK_SECONDS
    points = [0] * WEEK_SECONDS
    spread: list[float] | None = None
    fires: dict[_Key, list[int]] = {}
    windows: dict[_Key, list[tuple[int, int]]] = {}
    for key in keys:
        many = len(groups[key])
        # Look one jitter window back: a fire just before the week may still be starting inside it.
        lead = math.ceil(key.jitter)
        times = _fires(key, start - lead, end + 1)
        if key.jitter <= 0:
            times = [t for t in times if t < end]
            fires[key] = times
            for t in times:
                points[t - start] += many
            continue
        if spread is None:
            spread = [0.0] * (WEEK_SECONDS + 1)
        spans: list[tuple[int, int]] = []
        for i, t in enumerate(times):
            if t >= end:
                break
            width = key.jitter
            if i + 1 < len(times):
                width = min(width, (times[i + 1] - t) * 0.99)
            seconds = max(1, math.ceil(width))
            lo, hi = max(t, start), min(t + seconds, end)
            if lo >= hi:
                continue
            spread[lo - start] += many / seconds
            spread[hi - start] -= many / seconds
            spans.append((t, t + seconds))
        windows[key] = spans
    load: list[float] | list[int] = points
    if spread is not None:
        load = list(map(add, points, accumulate(spread[:WEEK_SECONDS])))
    if not load:
        return None
    peak = max(load)
    offset = load.index(peak)  # type: ignore[arg-type]
    at = start + offset
    present = [k for k, ts in fires.items() if _contains(ts, at)]
    present += [k for k, spans in windows.items() if any(lo <= at < hi for lo, hi in spans)]
    return at, float(peak), present


def _contains(sorted_times: list[int], t: int) -> bool:
    i = bisect_left(sorted_times, t)
    return i < len(sorted_times) and sorted_times[i] == t


# --- reporting ------------------------------------------------------------------------------------


def _order(m: _Member) -> tuple[str, int]:
    return (m.span.path, m.span.start.offset)


def _diagnostic(members: list[_Member], load: float, when: datetime, threshold: int) -> Diagnostic:
    first = members[0]
    names = ", ".join(f"`{m.name}`" for m in members[:_NAMES_SHOWN])
    if len(members) > _NAMES_SHOWN:
        names += f" and {len(members) - _NAMES_SHOWN} more"
    count = str(int(load)) if load.is_integer() else f"about {round(load, 1):g}"  # jitter: an expectation
    spread = max(30, math.ceil(load / threshold / 10) * 10)  # at most `threshold` starts a second
    suggestion = f'jitter: "{spread}s"'
    fixes: tuple[Fix, ...] = ()
    cron_field = first.item.field("cron") or first.item.field("at")
    if cron_field is not None and first.item.field("jitter") is None:
        indent = indent_of(first.module, cron_field.span)
        edit = TextEdit(insertion_at(cron_field.span), f"\n{indent}{suggestion}")
        fixes = (Fix(f"add `{suggestion}` to `{first.name}`", (edit,)),)
    return codes.THUNDERING_HERD.at(
        first.span,
        count=count,
        when=when.strftime("%a %Y-%m-%d %H:%M:%S"),
        names=names,
        help=(
            f"spread the start: give these schedules a `jitter` (e.g. `{suggestion}`) or move some to "
            f"another second (e.g. a second field of `17` instead of `{when.second}`); the threshold is "
            f"`[check] herd_threshold = {threshold}` in symbi.toml"
        ),
        related=tuple(Related(m.span, f"`{m.name}` fires then too") for m in members[1:_NAMES_SHOWN]),
        fixes=fixes,
    )

"""Do too many schedules start on the same UTC second over the coming week (a thundering herd)?

Fast by construction: schedules with the same expression, zone and jitter are counted once with a
multiplicity. Each is reduced to the UTC seconds of the hour its (second, minute, hour) pattern can fire
on under its zone's offsets (zone offsets are whole minutes); the schedules that can fire on a second of
the hour bound every instant with that second, so schedules none of whose seconds can exceed the
threshold drop out, and the rest are enumerated only on the "hot" seconds. Fires of a day without a clock
change are the day's times of day shifted by one offset (a list addition, not a cron walk); days with a
clock change fall back to `CronSpec.next_after`, which owns the DST rules. The worst instant is found by
sweeping the instants where the load changes, never a per-second array.

A `one_shot` cron fires once, at its first match after it is loaded: it counts as an `at` at its first
match after now, never as a recurring schedule.

A jittered schedule starts anywhere in [fire, fire + jitter) (the runtime bounds the jitter below the gap
to the next fire), so it adds 1/jitter of a fire to each second of that window: its expected load.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from symbi_lang import codes
from symbi_lang.ast import Block, BoolValue, Module, NumberValue, StringValue
from symbi_lang.attime import AtError, parse_at
from symbi_lang.checks.context import CheckContext
from symbi_lang.checks.support import indent_of, insertion_at
from symbi_lang.checks.walk import block_name
from symbi_lang.cron import CronError, CronSpec
from symbi_lang.diagnostics import Diagnostic, Fix, Related, TextEdit
from symbi_lang.durations import DurationError, parse_duration
from symbi_lang.span import Span
from symbi_lang.zones import offset_changes

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
    now = (ctx.now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    groups = _schedules(modules, ctx.default_jitter_seconds, now)
    if sum(len(m) for m in groups.values()) <= threshold:
        return
    start = int(now.timestamp())
    candidates = _candidate_keys(groups, threshold, start)
    if not candidates.keys:
        return
    worst = _worst_second(candidates, groups, start)
    if worst is None:
        return
    at, load, present = worst
    if load <= threshold:
        return
    members = sorted((m for key in present for m in groups[key]), key=_order)
    yield _diagnostic(members, load, datetime.fromtimestamp(at, UTC), threshold)


def fires_between(spec: CronSpec, start: int, end: int, keep: frozenset[int] | None = None) -> list[int]:
    """Every fire in [start, end) as UTC epoch seconds, ascending (the same instants as iterating
    `spec.next_after`, computed a day at a time); with `keep`, only fires on those UTC seconds of the
    hour (epoch % 3600)."""
    zone = spec.zone
    first = datetime.fromtimestamp(start, UTC).astimezone(zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end, UTC).astimezone(zone).date() + timedelta(days=1)
    times = spec.times_of_day()
    chosen: dict[int, list[int]] = {}  # local midnight's second of the UTC hour -> times kept
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
                r = u0 % 3600
                kept = chosen.get(r)
                if kept is None:
                    kept = chosen[r] = [t for t in times if keep is None or (r + t) % 3600 in keep]
                out.extend(u0 + t for t in kept)
            else:  # a clock change today: the cron module's DST rules decide
                t = spec.next_after(datetime.fromtimestamp(u0 - 1, UTC))
                while t is not None and t.timestamp() < u1:
                    out.append(int(t.timestamp()))
                    t = spec.next_after(t)
        day += timedelta(days=1)
    return sorted({t for t in out if start <= t < end and (keep is None or t % 3600 in keep)})


# --- gathering ------------------------------------------------------------------------------------


def _schedules(modules: Sequence[Module], default_jitter: float, now: datetime) -> dict[_Key, list[_Member]]:
    groups: dict[_Key, list[_Member]] = defaultdict(list)
    for module in modules:
        for item in module.items:
            if item.kind != "schedule":
                continue
            key = _key_of(item, default_jitter, now)
            if key is None:
                continue
            when = item.field("cron") or item.field("at")
            assert when is not None
            groups[key].append(_Member(block_name(item) or "(unnamed)", when.value.span, module, item))
    return groups


def _key_of(item: Block, default_jitter: float, now: datetime) -> _Key | None:
    """The schedule's key, or None when its timing is unknown until run time or invalid (other checks
    report that). A one-shot cron is keyed by its single fire: its first match after `now`."""
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
            spec = CronSpec.parse(cron.value.value, tz)
        except (CronError, ValueError):
            return None
        one_shot = item.field("one_shot")
        if one_shot is not None and isinstance(one_shot.value, BoolValue) and one_shot.value.value:
            first = spec.next_after(now)
            return None if first is None else _Key(None, first.astimezone(UTC), tz, jitter)
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


def _seconds_of_hour(key: _Key, start: int, end: int) -> frozenset[int]:
    """The UTC seconds of the hour (epoch % 3600) the key can fire on in [start, end): its times of day
    under each offset its zone has then, plus the instants where clocks change (a time in a
    spring-forward gap fires when the gap ends)."""
    if key.at is not None:
        return frozenset({int(key.at.timestamp()) % 3600})
    assert key.cron is not None
    spec = CronSpec.parse(key.cron, key.timezone)
    lo, hi = datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
    offsets = {int((lo.astimezone(spec.zone).utcoffset() or timedelta(0)).total_seconds())}
    extra: set[int] = set()
    for change in offset_changes(spec.zone, lo - timedelta(days=1), hi + timedelta(days=1)):
        offsets.add(int(change.after.total_seconds()))
        extra.add(int(change.at.timestamp()) % 3600)
    times = spec.times_of_day()
    return frozenset({(t - o) % 3600 for o in offsets for t in times} | extra)


@dataclass(frozen=True, slots=True)
class _Candidates:
    """Keys that could take part in a herd, and the seconds of the hour where one could happen."""

    keys: tuple[_Key, ...]
    hot: frozenset[int] | None  # None: any second (jittered schedules alone can exceed the threshold)


def _candidate_keys(groups: dict[_Key, list[_Member]], threshold: int, start: int) -> _Candidates:
    """Bound the fires at any instant by the schedules that can fire on its second of the hour (zone
    offsets are whole minutes): keys none of whose seconds can exceed the threshold drop out, until
    nothing changes. Jittered schedules spill into neighbouring seconds, so they count everywhere."""
    end = start + WEEK_SECONDS
    jittered = [k for k in groups if k.jitter > 0]
    spill = sum(len(groups[k]) for k in jittered)
    points = {
        k: _seconds_of_hour(k, start, end)
        for k in groups
        if k.jitter <= 0 and (k.at is None or start <= k.at.timestamp() < end)
    }
    while True:
        bound: dict[int, int] = defaultdict(int)
        for key, seconds in points.items():
            many = len(groups[key])
            for s in seconds:
                bound[s] += many
        hot = frozenset(s for s, n in bound.items() if n + spill > threshold)
        kept = {k: v for k, v in points.items() if not v.isdisjoint(hot)}
        if len(kept) == len(points):
            break
        points = kept
    if spill > threshold:
        return _Candidates((*groups,), None)
    if not hot:
        return _Candidates((), frozenset())
    return _Candidates((*points, *jittered), hot)


# --- counting -------------------------------------------------------------------------------------


def _fires(key: _Key, start: int, end: int, hot: frozenset[int] | None) -> list[int]:
    if key.at is not None:
        t = int(key.at.timestamp())
        return [t] if start <= t < end else []
    assert key.cron is not None
    return fires_between(CronSpec.parse(key.cron, key.timezone), start, end, hot)


def _worst_second(
    candidates: _Candidates, groups: dict[_Key, list[_Member]], start: int
) -> tuple[int, float, list[_Key]] | None:
    """The second of the week with the most (expected) fires: (epoch, load, keys firing then)."""
    end = start + WEEK_SECONDS
    fires: dict[_Key, list[int]] = {}
    windows: dict[_Key, list[tuple[int, int]]] = {}
    points: Counter[int] = Counter()
    spread: defaultdict[int, float] = defaultdict(float)  # jitter windows: +rate at start, -rate at end
    for key in candidates.keys:
        many = len(groups[key])
        if key.jitter <= 0:
            times = _fires(key, start, end, candidates.hot)
            fires[key] = times
            for t in times:
                points[t] += many
            continue
        # Look one jitter window back: a fire just before the week may still be starting inside it.
        times = _fires(key, start - math.ceil(key.jitter), end + 1, None)
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
            spread[lo] += many / seconds
            spread[hi] -= many / seconds
            spans.append((t, t + seconds))
        windows[key] = spans
    # The load only changes where a window starts or ends or at a point fire: sweep those instants.
    best: tuple[int, float] | None = None
    level = 0.0
    for t in sorted(spread.keys() | points.keys()):
        level += spread.get(t, 0.0)
        total = round(level + points.get(t, 0), 6)
        if t < end and (best is None or total > best[1]):
            best = (t, total)
    if best is None:
        return None
    at, peak = best
    present = [k for k, ts in fires.items() if _contains(ts, at)]
    present += [k for k, spans in windows.items() if any(lo <= at < hi for lo, hi in spans)]
    return at, peak, present


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

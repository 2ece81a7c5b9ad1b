"""When does a schedule fire: exactly one of `cron`/`at`, a valid cron that can fire (and can fire
inside `policy.allowed_hours`), an `at` that parses and is still ahead, a known time zone, and
`one_shot` only beside `cron`."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from symbi_lang import codes
from symbi_lang.ast import Block, MapValue, Module, StringValue
from symbi_lang.attime import AtError, parse_at
from symbi_lang.checks.context import CheckContext
from symbi_lang.checks.support import inner_span, replace_fix, suggest
from symbi_lang.checks.walk import block_name, index, time_of_day
from symbi_lang.checks.walk import node_of as _node
from symbi_lang.cron import CronError, CronErrorKind, CronSpec, never_fires, validate
from symbi_lang.diagnostics import Diagnostic, Fix, Related, TextEdit
from symbi_lang.span import Span

_SIX_FIELDS = "seconds first: second minute hour day-of-month month day-of-week [year]"
_FIELD_ORDER = "the fields are, in order: second minute hour day-of-month month day-of-week [year]"


def check_timing(module: Module, ctx: CheckContext) -> Iterator[Diagnostic]:
    """`cron`/`at` presence, cron validity and reachability, `at` validity and future, time zone."""
    now = ctx.now or datetime.now(UTC)
    for item in module.items:
        if item.kind != "schedule":
            continue
        cron = item.field("cron")
        at = item.field("at")
        if cron is not None and at is not None:
            yield codes.CRON_AND_AT.at(
                at.span,
                help="keep `cron` for a recurring job or `at` for a one-shot job",
                related=(Related(cron.span, "`cron` given here"),),
            )
        elif cron is None and at is None and not item.recovered:
            yield codes.NO_TIME.at(
                item.kind_span,
                where=f"schedule `{block_name(item)}`" if block_name(item) else "schedule",
                help='add `cron: "0 0 9 * * *"` (recurring, seconds first) or `at: "2026-12-01T09:00:00Z"`',
            )
        one_shot = item.field("one_shot")
        if one_shot is not None and at is not None and cron is None:
            yield codes.ONE_SHOT_WITHOUT_CRON.at(
                one_shot.span,
                help="remove `one_shot` (the `at` job fires once), or replace `at` with `cron` to fire once "
                "at the expression's next match",
                related=(Related(at.span, "`at` given here"),),
            )
        tz = "UTC"
        tz_field = item.field("timezone")
        if tz_field is not None and isinstance(tz_field.value, StringValue):
            zone_text = tz_field.value.value
            if _zone_ok(zone_text):
                tz = zone_text
            elif "${" not in zone_text:
                yield _bad_zone(tz_field.value)
        if cron is not None and isinstance(cron.value, StringValue) and "${" not in cron.value.value:
            yield from _check_cron(module, item, cron.value, tz, now)
        if at is not None and isinstance(at.value, StringValue) and "${" not in at.value.value:
            yield from _check_at(at.value, tz, now)


def _check_cron(
    module: Module, item: Block, value: StringValue, tz: str, now: datetime
) -> Iterator[Diagnostic]:
    expr = value.value
    try:
        spec = CronSpec.parse(expr, tz)
    except CronError:
        for err in validate(expr, tz):
            yield _cron_error(module, value, err)
        return
    never = _never_fires(spec, now.replace(microsecond=0))
    if never is not None:
        yield codes.CRON_NEVER_FIRES.at(
            _err_span(module, value, never), message=never.message, help=never.help
        )
        return
    if spec.dom_dow_both_restricted:
        start = spec.field_span("day_of_month")[0]
        end = spec.field_span("day_of_week")[1]
        yield codes.CRON_DOM_DOW.at(
            inner_span(module, value, start, end),
            help="it fires on every day that matches the day-of-month field and on every day that "
            "matches the day-of-week field (not only on days matching both); make one of them `*` "
            "or `?` unless that is what you want",
        )
    yield from _check_allowed_hours(item, value, spec)


@functools.lru_cache(maxsize=4096)
def _never_fires(spec: CronSpec, now: datetime) -> CronError | None:
    # One computation per distinct (expression, zone) in a run: `now` is fixed for the run.
    return never_fires(spec, now)


def _cron_error(module: Module, value: StringValue, err: CronError) -> Diagnostic:
    span = _err_span(module, value, err)
    if err.kind is CronErrorKind.FIVE_FIELDS:
        fixed = "0 " + value.value.strip()
        if value.verbatim:
            at = inner_span(module, value, 0, 0)
            fix: tuple[Fix, ...] = (Fix('Insert the seconds field "0 "', (TextEdit(at, "0 "),)),)
        else:
            fix = replace_fix(value.span, f'"{fixed}"', 'Insert the seconds field "0 "')
        return codes.CRON_FIVE_FIELDS.at(span, help=f'did you mean "{fixed}"? ({_SIX_FIELDS})', fixes=fix)
    if err.kind in (CronErrorKind.NEVER_FIRES, CronErrorKind.EXHAUSTED):
        return codes.CRON_NEVER_FIRES.at(span, message=err.message, help=err.help)
    return codes.CRON_INVALID.at(span, message=err.message, help=err.help or _FIELD_ORDER)


def _err_span(module: Module, value: StringValue, err: CronError) -> Span:
    end = max(err.end, err.start + 1) if value.value else err.end
    end = min(end, len(value.value))
    return inner_span(module, value, min(err.start, end), end)


def _check_allowed_hours(item: Block, value: StringValue, spec: CronSpec) -> Iterator[Diagnostic]:
    policy = item.entry("policy")
    if policy is None:
        return
    node = policy if isinstance(policy, Block) else policy.value
    if not isinstance(node, (Block, MapValue)):
        return
    hours_entry = index(node).get("allowed_hours")
    if hours_entry is None or not isinstance(hours_entry.node, (Block, MapValue)):
        return
    h = index(hours_entry.node)
    start, end = time_of_day(_node(h.get("start")), end=False), time_of_day(_node(h.get("end")), end=True)
    if start is None or end is None or start == end:
        return
    window = _window_hours(start, end)
    if window & spec.hours:
        return
    yield codes.CRON_OUTSIDE_HOURS.at(
        value.span,
        expr=value.value,
        start=start,
        end=end,
        help=f"it fires only at hour(s) {', '.join(str(x) for x in sorted(spec.hours))} "
        f"({spec.timezone}); move the cron or widen the window",
        related=(Related(hours_entry.span, "the window is set here"),),
    )


def _window_hours(start: str, end: str) -> set[int]:
    """Local hours that overlap the window [start, end) ("HH:MM"; wraps midnight when end <= start)."""
    s = int(start[:2]) * 60 + int(start[3:])
    e = int(end[:2]) * 60 + int(end[3:])
    first, last = s // 60, -(-e // 60)  # hours touched: floor of start, ceiling of end
    if s < e:
        return set(range(first, last))
    return set(range(first, 24)) | set(range(0, last))


AT_PAST_HELP = (
    "a store that already ran it keeps it completed; a store that never ran it runs it once late if "
    "within the catch-up window (`catchup_window_seconds`), else records it `missed`; remove the "
    "schedule or give a later time"
)


def _check_at(value: StringValue, tz: str, now: datetime) -> Iterator[Diagnostic]:
    try:
        when = parse_at(value.value, tz)
    except AtError as e:
        yield codes.AT_INVALID.at(value.span, message=e.message, help=e.help)
        return
    if when <= now:
        yield codes.AT_PAST.at(
            value.span,
            value=when.isoformat().replace("+00:00", "Z"),
            now=now.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            help=AT_PAST_HELP,
        )


def suggest_zone(text: str) -> str | None:
    """The IANA zone a mistyped name most likely means: a city alone (`berlin`, `new york`) names its
    zone (`Europe/Berlin`, `America/New_York`); otherwise the closest full name or city."""
    from zoneinfo import available_timezones

    zones = available_timezones()
    exact = {z.lower(): z for z in zones}.get(text.strip().lower())
    if exact is not None:
        return exact
    by_city = _zones_by_city(frozenset(zones))
    key = _city_key(text)
    if key in by_city:
        return by_city[key]
    whole = suggest(text, zones)
    if whole is not None:
        return whole
    city = suggest(key, by_city)
    return by_city[city] if city is not None else None


def _city_key(text: str) -> str:
    return text.strip().rsplit("/", 1)[-1].replace(" ", "_").replace("-", "_").lower()


@functools.lru_cache(maxsize=1)
def _zones_by_city(zones: frozenset[str]) -> dict[str, str]:
    """Last part of each zone name (lower case) → the zone; a city in several zones keeps the one in
    a region (`Europe/Berlin`, not a legacy alias), the shortest name first."""
    out: dict[str, str] = {}
    for zone in sorted(zones, key=lambda z: (("/" not in z), z.startswith(("Etc/", "SystemV/")), len(z), z)):
        out.setdefault(_city_key(zone), zone)
    return out


@functools.lru_cache(maxsize=1024)
def _zone_ok(name: str) -> bool:
    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _bad_zone(value: StringValue) -> Diagnostic:
    guess = suggest_zone(value.value)
    if guess is None:
        return codes.BAD_TIMEZONE.at(
            value.span, zone=value.value, help="use an IANA name such as `UTC`, `Europe/Berlin`"
        )
    return codes.BAD_TIMEZONE.at(
        value.span,
        zone=value.value,
        help=f"did you mean `{guess}`?",
        fixes=replace_fix(value.span, f'"{guess}"', f"Change to `{guess}`"),
    )

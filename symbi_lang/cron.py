"""Cron semantics (DESIGN.md §3): six fields seconds first, optional year, Vixie DST rule, aware times.

`CronSpec.parse` validates each field itself (so every error carries a caret into the expression) and
compiles the expression into sorted value tables; `next_after` walks those tables in local wall-clock time
and maps the result to a UTC instant (fixed-time jobs by the Vixie rule, others by real time).

croniter is not used at run time. Checked against croniter 7.0.0 (`second_at_beginning=True`), it reads
`3-3` as `*`, fires a fixed-time job twice in a repeated fall-back hour, skips the repeated half hour of
Australia/Lord_Howe for sub-hourly jobs, wraps reversed ranges (`17-9`) instead of rejecting them, treats a
`*/2` day-of-month as restricted (OR with day-of-week, where Vixie ANDs), rejects day-of-week `5L`, `LW`
and `L-2`, and gives up on dates more than about 50 years ahead; it also costs ≈ 60 ms to import and
≈ 100 µs per construction. The property tests compare with it where it is right.
"""

from __future__ import annotations

import functools
import itertools
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "FIELD_NAMES",
    "MACROS",
    "CronError",
    "CronErrorKind",
    "CronSpec",
    "fires_within_hours",
    "never_fires",
    "validate",
]


class CronErrorKind(StrEnum):
    """What is wrong with a cron expression (closed set; the value is the wire spelling)."""

    FIELD_COUNT = "field_count"
    FIVE_FIELDS = "five_fields"
    BAD_TOKEN = "bad_token"
    OUT_OF_RANGE = "out_of_range"
    REVERSED_RANGE = "reversed_range"
    BAD_STEP = "bad_step"
    BAD_NAME = "bad_name"
    UNSUPPORTED = "unsupported"
    NEVER_FIRES = "never_fires"
    EXHAUSTED = "exhausted"
    BAD_TIMEZONE = "bad_timezone"
    EMPTY = "empty"


@dataclass(frozen=True)
class CronError(Exception):
    """One problem of a cron expression; `start`/`end` are 0-based offsets into the expression string."""

    kind: CronErrorKind
    message: str
    start: int
    end: int
    field: str | None = None
    help: str | None = None

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type[CronError], tuple[object, ...]]:
        # Exception pickling would rebuild from `args` (empty here) and then set fields one by one.
        return (CronError, (self.kind, self.message, self.start, self.end, self.field, self.help))


FIELD_NAMES = ("second", "minute", "hour", "day_of_month", "month", "day_of_week", "year")
_FIELD_LABELS = {
    "second": "second",
    "minute": "minute",
    "hour": "hour",
    "day_of_month": "day-of-month",
    "month": "month",
    "day_of_week": "day-of-week",
    "year": "year",
}
_BOUNDS = {
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "day_of_month": (1, 31),
    "month": (1, 12),
    "day_of_week": (0, 7),
    "year": (1970, 2099),
}
MACROS: dict[str, str] = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}
MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_NAME_VALUES = {
    "month": {name: i + 1 for i, name in enumerate(MONTH_NAMES)},
    "day_of_week": {name: i for i, name in enumerate(DAY_NAMES)},
}
_SIX_FIELD_HELP = "cron has 6 fields, seconds first: second minute hour day-of-month month day-of-week [year]"
_UTC_KEYS = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"})
_ONE_SECOND = timedelta(seconds=1)
_ONE_DAY = timedelta(days=1)
# Without a year field the search gives up after this many years; the Gregorian calendar repeats
# every 400 years, so nothing found in that span means nothing will ever be found.
_SEARCH_YEARS = 401
_TOKEN_RE = re.compile(r"\S+")
_INT_RE = re.compile(r"[0-9]+")
_SPECIAL_RE = re.compile(r"L|W|LW|L-[0-9]*|[0-9]+[LW]|[A-Z0-9]*#.*")


# ---------------------------------------------------------------------------------------------------
# Compiled fields


@dataclass(frozen=True, slots=True)
class _DayRules:
    """Day-of-month and day-of-week rules, including the `L`, `W` and `#` forms."""

    dom: frozenset[int] = frozenset()
    dom_last: frozenset[int] = frozenset()  # L -> 0, L-3 -> 3 (days before the last)
    dom_nearest_weekday: frozenset[int] = frozenset()  # 15W
    dom_last_weekday: bool = False  # LW
    dow: frozenset[int] = frozenset()  # Sunday = 0
    dow_nth: frozenset[tuple[int, int]] = frozenset()  # 5#2 -> (5, 2)
    dow_last: frozenset[int] = frozenset()  # 5L
    dom_restricted: bool = False
    dow_restricted: bool = False


@dataclass(frozen=True, slots=True)
class _Compiled:
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    years: tuple[int, ...] | None
    days: _DayRules
    fixed: bool  # no second, minute or hour field starts with `*` (Vixie's rule)
    spans: dict[str, tuple[int, int]]  # field -> (start, end) offsets in the expression
    texts: dict[str, str]  # field -> its text (after macro expansion)


@dataclass(slots=True)
class _FieldValue:
    """What one field parsed to (accumulated item by item)."""

    values: set[int] = field(default_factory=set)
    dom_last: set[int] = field(default_factory=set)
    dom_nearest_weekday: set[int] = field(default_factory=set)
    dom_last_weekday: bool = False
    dow_nth: set[tuple[int, int]] = field(default_factory=set)
    dow_last: set[int] = field(default_factory=set)


class _FieldProblem(Exception):
    """Raised inside a field parser; converted to a `CronError` with absolute offsets."""

    def __init__(
        self, kind: CronErrorKind, message: str, start: int, end: int, help: str | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.start = start
        self.end = end
        self.help = help


def _parse_number(name: str, text: str, at: int) -> int:
    """One value of field `name` (a number, or a month/day name), range-checked; `at` = its offset."""
    lo, hi = _BOUNDS[name]
    label = _FIELD_LABELS[name]
    end = at + len(text)
    if _INT_RE.fullmatch(text):
        value = int(text)
        if not lo <= value <= hi:
            help = None
            if name == "day_of_week":
                help = "day-of-week is 0-6 with Sunday = 0 (7 is also Sunday), or SUN, MON, … SAT"
            elif name == "year":
                help = "years 1970-2099 are supported"
            raise _FieldProblem(
                CronErrorKind.OUT_OF_RANGE, f"{label} must be {lo}-{hi}, got {value}", at, end, help
            )
        return value
    if _SPECIAL_RE.fullmatch(text.upper()):
        raise _FieldProblem(
            CronErrorKind.UNSUPPORTED,
            f"{text!r} is not allowed in the {label} field",
            at,
            end,
            "L and W are for day-of-month (L, L-3, 15W, LW); nL and n#k for day-of-week (5L, 1#2)",
        )
    names = _NAME_VALUES.get(name)
    if names is not None and text.isalpha():
        value_or_none = names.get(text.upper())
        if value_or_none is None:
            choices = "JAN … DEC" if name == "month" else "SUN, MON, TUE, WED, THU, FRI, SAT"
            guess = text[:3].upper()
            help = f"did you mean {guess}?" if guess in names and len(text) > 3 else f"use {choices}"
            raise _FieldProblem(CronErrorKind.BAD_NAME, f"unknown {label} name {text!r}", at, end, help)
        return value_or_none
    if text == "?":
        raise _FieldProblem(
            CronErrorKind.UNSUPPORTED,
            f"'?' is only allowed in day-of-month and day-of-week, not in {label}",
            at,
            end,
            "use * instead",
        )
    what = "number or name" if names is not None else "number"
    raise _FieldProblem(CronErrorKind.BAD_TOKEN, f"{label}: expected a {what}, got {text!r}", at, end, None)


def _span_values(name: str, lo: int, hi: int, step: int) -> set[int]:
    values = set(range(lo, hi + 1, step))
    if name == "day_of_week" and 7 in values:
        values.discard(7)
        values.add(0)
    return values


def _parse_item(name: str, item: str, at: int, out: _FieldValue) -> None:
    """One comma-separated item of field `name` into `out`; `at` is the item's offset."""
    lo, hi = _BOUNDS[name]
    label = _FIELD_LABELS[name]
    end = at + len(item)
    if not item:
        raise _FieldProblem(CronErrorKind.BAD_TOKEN, f"{label}: empty list item", at, at + 1)
    upper = item.upper()
    if name == "day_of_month":
        if upper == "L":
            out.dom_last.add(0)
            return
        if upper == "LW":
            out.dom_last_weekday = True
            return
        if upper.startswith("L-"):
            off_text = item[2:]
            if not _INT_RE.fullmatch(off_text):
                raise _FieldProblem(
                    CronErrorKind.BAD_TOKEN, f"day-of-month: expected L-<days>, got {item!r}", at, end
                )
            offset = int(off_text)
            if not 0 <= offset <= 30:
                raise _FieldProblem(
                    CronErrorKind.OUT_OF_RANGE,
                    f"days before the last day must be 0-30, got {offset}",
                    at + 2,
                    end,
                )
            out.dom_last.add(offset)
            return
        if upper.endswith("W") and len(item) > 1:
            day_text = item[:-1]
            if not _INT_RE.fullmatch(day_text):
                raise _FieldProblem(
                    CronErrorKind.BAD_TOKEN,
                    f"day-of-month: W needs a single day before it (15W), got {item!r}",
                    at,
                    end,
                )
            out.dom_nearest_weekday.add(_parse_number(name, day_text, at))
            return
    if name == "day_of_week":
        if "#" in item:
            day_text, _, nth_text = item.partition("#")
            day = _parse_number(name, day_text, at) % 7
            nth_at = at + len(day_text) + 1
            if not _INT_RE.fullmatch(nth_text):
                raise _FieldProblem(
                    CronErrorKind.BAD_TOKEN,
                    f"day-of-week: expected <day>#<1-5>, got {item!r}",
                    nth_at if nth_text else nth_at - 1,
                    end,
                )
            nth = int(nth_text)
            if not 1 <= nth <= 5:
                raise _FieldProblem(
                    CronErrorKind.OUT_OF_RANGE,
                    f"the week number after # must be 1-5, got {nth}",
                    nth_at,
                    end,
                )
            out.dow_nth.add((day, nth))
            return
        if upper == "L":
            raise _FieldProblem(
                CronErrorKind.UNSUPPORTED,
                "a bare L in day-of-week is ambiguous",
                at,
                end,
                "write the day before it: 5L is the last Friday of the month, 6L the last Saturday",
            )
        if upper.endswith("L") and len(item) > 1:
            day = _parse_number(name, item[:-1], at) % 7
            out.dow_last.add(day)
            return
    step = 1
    base = item
    if "/" in item:
        base, _, step_text = item.partition("/")
        step_at = at + len(base) + 1
        if not _INT_RE.fullmatch(step_text):
            raise _FieldProblem(
                CronErrorKind.BAD_STEP,
                f"{label}: the step after / must be a number, got {step_text!r}",
                step_at if step_text else step_at - 1,
                end,
            )
        step = int(step_text)
        span = hi - lo if name != "day_of_week" else 6
        if not 1 <= step <= span:
            raise _FieldProblem(
                CronErrorKind.BAD_STEP,
                f"{label} step must be 1-{span}, got {step}",
                step_at,
                end,
                f"*/{step} would fire only at {lo}; write {lo}" if step > span and base == "*" else None,
            )
        if not base:
            raise _FieldProblem(CronErrorKind.BAD_TOKEN, f"{label}: missing range before /", at, at + 1)
    if base in ("*", "?"):
        if base == "?" and name not in ("day_of_month", "day_of_week"):
            raise _FieldProblem(
                CronErrorKind.UNSUPPORTED,
                f"'?' is only allowed in day-of-month and day-of-week, not in {label}",
                at,
                at + 1,
                "use * instead",
            )
        out.values |= _span_values(name, lo, hi if name != "day_of_week" else 6, step)
        return
    if "-" in base:
        first_text, _, last_text = base.partition("-")
        if not first_text or not last_text:
            raise _FieldProblem(
                CronErrorKind.BAD_TOKEN, f"{label}: incomplete range {base!r}", at, at + len(base)
            )
        first = _parse_number(name, first_text, at)
        last = _parse_number(name, last_text, at + len(first_text) + 1)
        if first > last:
            if name == "year":
                help = f"write {last_text}-{first_text}"
            elif name == "day_of_week" and last == 0:
                help = f"Sunday can also be written 7: {first_text}-7"
            elif name == "day_of_week" and first == 7:
                help = f"Sunday can also be written 0: 0-{last_text}"
            else:
                help = f"ranges do not wrap around; use a list: {first_text}-{hi},{lo}-{last_text}"
            raise _FieldProblem(
                CronErrorKind.REVERSED_RANGE,
                f"{label} range {base} is reversed ({first} is after {last})",
                at,
                at + len(base),
                help,
            )
        out.values |= _span_values(name, first, last, step)
        return
    value = _parse_number(name, base, at)
    if "/" in item:  # a/n: from a to the end of the range, every n
        out.values |= _span_values(name, value, hi if name != "day_of_week" else 6, step)
    else:
        out.values |= _span_values(name, value, value, 1)


def _parse_field(name: str, text: str, at: int) -> _FieldValue:
    out = _FieldValue()
    offset = at
    for item in text.split(","):
        _parse_item(name, item, offset, out)
        offset += len(item) + 1
    return out


def _is_wildcard(text: str) -> bool:
    return text.startswith(("*", "?"))


def _split(expression: str) -> tuple[list[tuple[str, int]], str | None]:
    """The fields with their offsets, after expanding a macro (macro fields all point at the macro)."""
    stripped = expression.strip()
    if stripped.startswith("@"):
        at = expression.index("@")
        expansion = MACROS.get(stripped.lower())
        if expansion is None:
            return [(stripped, at)], stripped
        return [(f, at) for f in expansion.split()], stripped
    return [(m.group(), m.start()) for m in _TOKEN_RE.finditer(expression)], None


def _zone_or_error(timezone: str) -> ZoneInfo | CronError:
    try:
        if not timezone or timezone != timezone.strip():
            raise ValueError(timezone)
        return _zone(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return CronError(
            CronErrorKind.BAD_TIMEZONE,
            f"unknown time zone {timezone!r}",
            0,
            0,
            None,
            "use an IANA zone name such as UTC, Europe/Berlin or America/New_York",
        )


@functools.lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _compile(expression: str, timezone: str) -> tuple[_Compiled | None, ZoneInfo | None, list[CronError]]:
    errors: list[CronError] = []
    zone_or_error = _zone_or_error(timezone)
    zone = zone_or_error if isinstance(zone_or_error, ZoneInfo) else None
    if isinstance(zone_or_error, CronError):
        errors.append(zone_or_error)
    if not expression.strip():
        errors.insert(
            0,
            CronError(
                CronErrorKind.EMPTY,
                "empty cron expression",
                0,
                len(expression),
                None,
                'write six fields, seconds first, e.g. "0 0 9 * * *" (every day at 09:00)',
            ),
        )
        return None, zone, errors
    fields, macro = _split(expression)
    if macro is not None and len(fields) == 1:
        at = fields[0][1]
        errors.insert(
            0,
            CronError(
                CronErrorKind.UNSUPPORTED if macro.lower() == "@reboot" else CronErrorKind.BAD_NAME,
                f"unknown cron macro {macro!r}",
                at,
                at + len(macro),
                None,
                "macros: " + " ".join(MACROS),
            ),
        )
        return None, zone, errors
    if len(fields) != 6 and len(fields) != 7:
        start = fields[0][1]
        end = fields[-1][1] + len(fields[-1][0])
        if len(fields) == 5:
            fixed = "0 " + " ".join(f for f, _ in fields)
            errors.insert(
                0,
                CronError(
                    CronErrorKind.FIVE_FIELDS,
                    "cron expression has 5 fields; symbi cron needs 6 (seconds first)",
                    start,
                    end,
                    None,
                    f'cron has 6 fields, seconds first: "{fixed}"',
                ),
            )
        else:
            errors.insert(
                0,
                CronError(
                    CronErrorKind.FIELD_COUNT,
                    f"cron expression has {len(fields)} field{'s' if len(fields) != 1 else ''}; "
                    "expected 6 or 7",
                    start,
                    end,
                    None,
                    _SIX_FIELD_HELP,
                ),
            )
        return None, zone, errors
    parsed: dict[str, _FieldValue] = {}
    spans: dict[str, tuple[int, int]] = {}
    texts: dict[str, str] = {}
    field_errors: list[CronError] = []
    for name, (text, at) in zip(FIELD_NAMES, fields, strict=False):
        spans[name] = (at, at + (len(macro) if macro else len(text)))
        texts[name] = text
        try:
            parsed[name] = _parse_field(name, text, at)
        except _FieldProblem as p:
            start, end = spans[name] if macro else (p.start, p.end)
            field_errors.append(CronError(p.kind, p.message, start, end, name, p.help))
    if field_errors:
        return None, zone, field_errors + errors
    dom_text = texts["day_of_month"]
    dow_text = texts["day_of_week"]
    dom = parsed["day_of_month"]
    dow = parsed["day_of_week"]
    days = _DayRules(
        dom=frozenset(dom.values),
        dom_last=frozenset(dom.dom_last),
        dom_nearest_weekday=frozenset(dom.dom_nearest_weekday),
        dom_last_weekday=dom.dom_last_weekday,
        dow=frozenset(dow.values),
        dow_nth=frozenset(dow.dow_nth),
        dow_last=frozenset(dow.dow_last),
        dom_restricted=not _is_wildcard(dom_text),
        dow_restricted=not _is_wildcard(dow_text),
    )
    seconds = tuple(sorted(parsed["second"].values))
    minutes = tuple(sorted(parsed["minute"].values))
    hours = tuple(sorted(parsed["hour"].values))
    compiled = _Compiled(
        seconds=seconds,
        minutes=minutes,
        hours=hours,
        months=frozenset(parsed["month"].values),
        # `*` in the year field means any year, not 1970-2099 (which would make it run out)
        years=tuple(sorted(parsed["year"].values)) if "year" in parsed and texts["year"] != "*" else None,
        days=days,
        # Vixie cron / cronie: a job is fixed-time unless its second, minute or hour field starts with
        # `*` (lists and ranges such as `0,30` or `1-3` are fixed-time; `*/15` is not).
        fixed=not any(texts[f].startswith("*") for f in ("second", "minute", "hour")),
        spans=spans,
        texts=texts,
    )
    return compiled, zone, errors


def validate(expression: str, timezone: str = "UTC") -> list[CronError]:
    """Every problem of `expression` (one per bad field, each with its caret); [] when valid. Never raises."""
    try:
        return _compile(expression, timezone)[2]
    except Exception as e:  # pragma: no cover - a bug here must not crash a check run
        return [CronError(CronErrorKind.BAD_TOKEN, f"cannot read cron expression: {e}", 0, len(expression))]


# ---------------------------------------------------------------------------------------------------
# Calendar helpers


_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _monthrange(year: int, month: int) -> tuple[int, int]:
    """`calendar.monthrange` (Monday-based weekday of the 1st, number of days), without importing
    `calendar` (and `locale`) on `symbi check`'s start-up path. Years beyond `date`'s range map onto
    the 400-year Gregorian cycle, as `calendar.weekday` maps them."""
    first = date(year if 1 <= year <= 9999 else 2000 + year % 400, month, 1).weekday()
    leap = month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return first, _MONTH_DAYS[month] + leap


def _sunday_based(d: date) -> int:
    return (d.weekday() + 1) % 7


def _nearest_weekday(year: int, month: int, day: int, length: int) -> int | None:
    """Quartz `W`: the weekday nearest `day` without leaving the month; None if the month is too short."""
    if day > length:
        return None
    wd = _sunday_based(date(year, month, day))
    if wd == 6:  # Saturday -> Friday, or Monday when the 1st is a Saturday
        return day - 1 if day > 1 else day + 2
    if wd == 0:  # Sunday -> Monday, or Friday when the last day is a Sunday
        return day + 1 if day < length else day - 2
    return day


def _matching_days(rules: _DayRules, year: int, month: int) -> tuple[int, ...]:
    first_wd, length = _monthrange(year, month)
    first_wd = (first_wd + 1) % 7
    dom_days = {d for d in rules.dom if d <= length}
    dom_days |= {length - off for off in rules.dom_last if length - off >= 1}
    for n in rules.dom_nearest_weekday:
        w = _nearest_weekday(year, month, n, length)
        if w is not None:
            dom_days.add(w)
    last_wd = (first_wd + length - 1) % 7
    if rules.dom_last_weekday:
        dom_days.add(length - (1 if last_wd == 6 else 2 if last_wd == 0 else 0))
    dow_days: set[int] = set()
    for wd in rules.dow:
        dow_days.update(range(1 + (wd - first_wd) % 7, length + 1, 7))
    for wd, nth in rules.dow_nth:
        d = 1 + (wd - first_wd) % 7 + 7 * (nth - 1)
        if d <= length:
            dow_days.add(d)
    for wd in rules.dow_last:
        dow_days.add(length - (last_wd - wd) % 7)
    # POSIX/Vixie: when both fields are restricted either one suffices; when one starts with `*` or `?`
    # both must match (so `*/2` in day-of-month still means odd days).
    chosen = dom_days | dow_days if rules.dom_restricted and rules.dow_restricted else dom_days & dow_days
    return tuple(sorted(chosen))


# ---------------------------------------------------------------------------------------------------
# The spec


@dataclass(frozen=True, eq=True)
class CronSpec:
    """A parsed, validated cron expression in one IANA zone. Immutable and hashable; build with `parse`."""

    expression: str
    timezone: str
    _c: _Compiled = field(repr=False, compare=False, hash=False)
    _zone: ZoneInfo = field(repr=False, compare=False, hash=False)
    _days_cache: dict[tuple[int, int], tuple[int, ...]] = field(
        default_factory=dict, repr=False, compare=False, hash=False
    )
    # The last `next_after` question and its answer, replaced as one tuple (safe across threads): jobs
    # that share an expression fire together, and each then asks for the same next fire.
    _last_next: list[tuple[datetime, datetime | None]] = field(
        default_factory=list, repr=False, compare=False, hash=False
    )

    @classmethod
    def parse(cls, expression: str, timezone: str = "UTC") -> CronSpec:
        """Parse and validate (cached per expression and zone); raises the first `CronError`."""
        return _parse_cached(expression, timezone)

    # --- properties -----------------------------------------------------------------------------
    @property
    def dom_dow_both_restricted(self) -> bool:
        """Day-of-month and day-of-week are both restricted: it fires when either matches."""
        return self._c.days.dom_restricted and self._c.days.dow_restricted

    @property
    def is_fixed_time(self) -> bool:
        """No second, minute or hour field starts with `*`: the Vixie DST adjustment applies."""
        return self._c.fixed

    @property
    def hours(self) -> frozenset[int]:
        """Local hours of the day it can fire in."""
        return frozenset(self._c.hours)

    @property
    def years(self) -> tuple[int, ...] | None:
        """The year field's values, or None when there is no year field (or it is `*`)."""
        return self._c.years

    @property
    def zone(self) -> ZoneInfo:
        """The schedule's IANA zone."""
        return self._zone

    @property
    def tables(self) -> _Compiled:
        """The parsed field tables (seconds, minutes, hours, months, years, day rules), read-only: what
        a translation to another calendar format (RFC 5545 RRULE) reads."""
        return self._c

    def times_of_day(self) -> tuple[int, ...]:
        """Every local time of day the second, minute and hour fields allow, as seconds since midnight,
        ascending (what a day with no clock change fires at)."""
        c = self._c
        return tuple(h * 3600 + m * 60 + s for h in c.hours for m in c.minutes for s in c.seconds)

    def fires_on(self, day: date) -> bool:
        """The year, month and day rules allow the local date `day`."""
        c = self._c
        if c.years is not None and day.year not in c.years:
            return False
        return day.month in c.months and day.day in self._days(day.year, day.month)

    def field_span(self, name: str) -> tuple[int, int]:
        """Offsets (start, end) of field `name` in the expression (the whole macro for a macro)."""
        return self._c.spans[name]

    # --- next fire --------------------------------------------------------------------------------
    def next_after(self, after: datetime) -> datetime | None:
        """The first fire strictly after `after` (naive = UTC), as an aware UTC datetime; None if none."""
        last = self._last_next
        if last:
            asked, answer = last[0]
            if asked == after and (asked.tzinfo is None) == (after.tzinfo is None):
                return answer
        answer = self._next_after(after)
        if last:
            last[0] = (after, answer)
        else:
            last.append((after, answer))
        return answer

    def _next_after(self, after: datetime) -> datetime | None:
        try:
            after = after.replace(tzinfo=UTC) if after.tzinfo is None else after.astimezone(UTC)
            if self.timezone in _UTC_KEYS:
                wall = self._next_wall(after.replace(tzinfo=None, microsecond=0) + _ONE_SECOND)
                return None if wall is None else wall.replace(tzinfo=UTC)
            if self._c.fixed:
                return self._next_fixed(after)
            return self._next_real(after)
        except OverflowError:  # past year 9999 (or before year 1): nothing representable
            return None

    def next_n(self, after: datetime, n: int) -> list[datetime]:
        """Up to `n` fires strictly after `after` (fewer when it runs out)."""
        out: list[datetime] = []
        t: datetime | None = after
        while len(out) < n:
            assert t is not None
            t = self.next_after(t)
            if t is None:
                break
            out.append(t)
        return out

    def iter_after(self, after: datetime) -> Iterator[datetime]:
        """Every fire strictly after `after`, in order (ends when the expression runs out)."""
        t = self.next_after(after)
        while t is not None:
            yield t
            t = self.next_after(t)

    # --- internals --------------------------------------------------------------------------------
    def _days(self, year: int, month: int) -> tuple[int, ...]:
        key = (year, month)
        cache = self._days_cache
        days = cache.get(key)
        if days is None:
            if len(cache) > 4096:
                cache.clear()
            days = cache[key] = _matching_days(self._c.days, year, month)
        return days

    def _next_time(self, h: int, m: int, s: int) -> tuple[int, int, int] | None:
        """The first (hour, minute, second) of the tables at or after h:m:s on the same day."""
        c = self._c
        hours, minutes, seconds = c.hours, c.minutes, c.seconds
        i = bisect_left(hours, h)
        if i == len(hours):
            return None
        if hours[i] != h:
            return hours[i], minutes[0], seconds[0]
        j = bisect_left(minutes, m)
        if j < len(minutes):
            if minutes[j] != m:
                return h, minutes[j], seconds[0]
            k = bisect_left(seconds, s)
            if k < len(seconds):
                return h, m, seconds[k]
            if j + 1 < len(minutes):
                return h, minutes[j + 1], seconds[0]
        if i + 1 < len(hours):
            return hours[i + 1], minutes[0], seconds[0]
        return None

    def _next_wall(self, x: datetime) -> datetime | None:
        """The first matching wall-clock time at or after naive `x` (whole seconds), ignoring zones."""
        c = self._c
        years, months = c.years, c.months
        year, month, day = x.year, x.month, x.day
        hms: tuple[int, int, int] | None = (x.hour, x.minute, x.second)
        first_time = (c.hours[0], c.minutes[0], c.seconds[0])
        limit = years[-1] if years is not None else min(year + _SEARCH_YEARS, 9999)
        while year <= limit:
            if years is not None and year not in years:
                i = bisect_left(years, year)
                if i == len(years):
                    return None
                year, month, day, hms = years[i], 1, 1, None
            if month not in months:
                later = [m for m in months if m > month]
                if not later:
                    year, month, day, hms = year + 1, 1, 1, None
                    continue
                month, day, hms = min(later), 1, None
            days = self._days(year, month)
            for d in days[bisect_left(days, day) :]:
                if d == day and hms is not None:
                    t = self._next_time(*hms)
                    if t is None:
                        continue
                else:
                    t = first_time
                return datetime(year, month, d, *t)
            month, day, hms = month + 1, 1, None
            if month > 12:
                year, month = year + 1, 1
        return None

    def _local_wall(self, after: datetime) -> tuple[datetime, int]:
        local = after.astimezone(self._zone)
        return local.replace(tzinfo=None, microsecond=0, fold=0), local.fold

    def _offsets(self, wall: datetime) -> tuple[timedelta, timedelta]:
        z = self._zone
        o0 = wall.replace(tzinfo=z).utcoffset()
        o1 = wall.replace(tzinfo=z, fold=1).utcoffset()
        assert o0 is not None and o1 is not None
        return o0, o1

    def _transition(self, lo: datetime, hi: datetime) -> datetime:
        """The UTC instant in (lo, hi] where the zone's offset changes (lo, hi aware UTC, whole seconds)."""
        z = self._zone
        before = lo.astimezone(z).utcoffset()
        lo_s, hi_s = 0, int((hi - lo).total_seconds())
        while hi_s - lo_s > 1:
            mid = (lo_s + hi_s) // 2
            if (lo + timedelta(seconds=mid)).astimezone(z).utcoffset() == before:
                lo_s = mid
            else:
                hi_s = mid
        return lo + timedelta(seconds=hi_s)

    def _next_fixed(self, after: datetime) -> datetime | None:
        """Fixed-time job (Vixie): each matching local wall time fires once: a time in a
        spring-forward gap at the first instant after the gap (several such times fire once there),
        a time in a repeated fall-back hour on its first occurrence only."""
        wall_a, fold_a = self._local_wall(after)
        start = wall_a + _ONE_SECOND
        if fold_a == 1:
            # `after` is in the second pass of a repeated hour: every wall time of that hour fired
            # in the first pass, so the search starts where the repetition ends.
            a0, a1 = self._offsets(wall_a)
            if a0 > a1:
                t = self._transition(after.replace(microsecond=0) - (a0 - a1), after.replace(microsecond=0))
                start = max(start, (t + a0).replace(tzinfo=None))
        wall = self._next_wall(start)
        for _ in range(_FIXED_SEARCH_LIMIT):
            if wall is None:
                return None
            o0, o1 = self._offsets(wall)
            u = (wall - o0).replace(tzinfo=UTC)  # unique, or the first occurrence of a repeated time
            if o0 < o1:  # in a spring-forward gap: the first instant after it
                u = self._transition((wall - o1).replace(tzinfo=UTC), u)
            if u > after:
                return u
            wall = self._next_wall(wall + _ONE_SECOND)
        return None  # pragma: no cover - the gap and repeat cases leave the loop within an hour of times

    def _next_real(self, after: datetime) -> datetime | None:
        """Wildcard / sub-hourly job: every matching instant of real time (gaps skip, repeats fire twice)."""
        wall_a, fold_a = self._local_wall(after)
        best: datetime | None = None
        wall = self._next_existing_wall(wall_a + _ONE_SECOND)
        if wall is not None:
            o0, o1 = self._offsets(wall)
            best = (wall - o0).replace(tzinfo=UTC)
            if best <= after:  # `after` is in the second pass of the hour that repeats `wall`
                best = (wall - o1).replace(tzinfo=UTC)
        if fold_a == 0:
            a0, a1 = self._offsets(wall_a)
            if a0 > a1:
                # `after` is in the first pass of a repeated hour: the second pass may hold a fire at
                # a wall time before `after`'s, which is still later in real time.
                t = self._transition(after.replace(microsecond=0), after + (a0 - a1))
                again = self._next_wall((t + a1).replace(tzinfo=None))
                if again is not None and again <= wall_a:
                    second = (again - a1).replace(tzinfo=UTC)
                    if best is None or second < best:
                        best = second
        return best

    def _next_existing_wall(self, x: datetime) -> datetime | None:
        """The first matching wall time at or after `x` that exists in the zone (gaps are skipped)."""
        for _ in range(100):
            wall = self._next_wall(x)
            if wall is None:
                return None
            o0, o1 = self._offsets(wall)
            if o0 >= o1:
                return wall
            t = self._transition((wall - o1).replace(tzinfo=UTC), (wall - o0).replace(tzinfo=UTC))
            x = (t + o1).replace(tzinfo=None)
        return None  # pragma: no cover - a hundred gaps in a row do not happen

    # --- description ------------------------------------------------------------------------------
    def describe(self) -> str:
        """A human reading, e.g. "at 09:00:00, Monday through Friday" or "every 5 minutes"."""
        return _describe(self._c)


#: Wall times tried before giving up: a fixed-time job matching every second of an hour still finds its
#: next fire within one hour's worth of candidates after a gap or a repeat.
_FIXED_SEARCH_LIMIT = 2 * 3600 + 10


@functools.lru_cache(maxsize=4096)
def _parse_cached(expression: str, timezone: str) -> CronSpec:
    compiled, zone, errors = _compile(expression, timezone)
    if errors:
        raise errors[0]
    assert compiled is not None and zone is not None
    return CronSpec(expression, timezone, compiled, zone)


# ---------------------------------------------------------------------------------------------------
# Whole-expression checks


def _month_max_length(month: int) -> int:
    return 29 if month == 2 else _MONTH_DAYS[month]


def _days_possible(rules: _DayRules, months: frozenset[int]) -> bool:
    """Can the day fields match in some allowed month of some year (any year: Feb 29 counts)?"""
    dow_any = bool(rules.dow or rules.dow_nth or rules.dow_last)
    if rules.dow_restricted and dow_any:
        return True  # every month has every weekday at least four times; 5th ones occur in 29+ day months
    if not rules.dom_restricted:
        return True
    longest = max(_month_max_length(m) for m in months)
    if rules.dom_last_weekday or (rules.dom_last and min(rules.dom_last) < longest):
        return True
    return any(d <= longest for d in rules.dom | rules.dom_nearest_weekday)


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def never_fires(spec: CronSpec, now: datetime) -> CronError | None:
    """NEVER_FIRES when no date can ever match; EXHAUSTED when its year list is all in the past."""
    c = spec._c
    dom_start = c.spans["day_of_month"][0]
    month_end = c.spans["month"][1]
    if not _days_possible(c.days, c.months):
        months = [_month_name(m) for m in sorted(c.months)]
        days = [str(d) for d in sorted(c.days.dom | c.days.dom_nearest_weekday)]
        days += [f"L-{off}" for off in sorted(c.days.dom_last)]
        return CronError(
            CronErrorKind.NEVER_FIRES,
            f"never fires: {_join(months)} {'has' if len(months) == 1 else 'have'} no day {_join(days)}",
            dom_start,
            month_end,
            "day_of_month",
            "check the day-of-month and month fields",
        )
    if c.years is None:
        if spec.next_after(now) is None:  # e.g. "*/20" days AND fifth Mondays: no date has both
            return CronError(
                CronErrorKind.NEVER_FIRES,
                "never fires: no date matches both the day-of-month and day-of-week fields",
                dom_start,
                c.spans["day_of_week"][1],
                "day_of_month",
                "a day-of-month starting with * or ? must match together with the day-of-week",
            )
        return None
    if spec.next_after(now) is not None:
        return None
    y_start, y_end = c.spans["year"]
    first = datetime(c.years[0], 1, 1, tzinfo=UTC) - timedelta(days=2)
    if spec.next_after(first) is None:
        years = c.texts["year"]
        return CronError(
            CronErrorKind.NEVER_FIRES,
            f"never fires: no date in {years} matches the day and month fields",
            dom_start,
            y_end,
            "year",
            "check the day-of-month, month and year fields (Feb 29 exists only in leap years)",
        )
    local_now = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(spec._zone)
    if c.years[-1] < local_now.year:
        message = f"never fires again: its last year ({c.years[-1]}) has passed"
    else:
        message = f"never fires again: no date from now on matches it in {c.texts['year']}"
    return CronError(
        CronErrorKind.EXHAUSTED,
        message,
        y_start,
        y_end,
        "year",
        "remove the year field or list a year that is still ahead",
    )


def fires_within_hours(spec: CronSpec, start_hour: int, end_hour: int) -> bool:
    """Can it fire inside the local-hour window [start, end)? end < start wraps midnight; start == end is
    empty."""
    if start_hour == end_hour:
        return False
    if start_hour < end_hour:
        window = set(range(start_hour, end_hour))
    else:
        window = set(range(start_hour, 24)) | set(range(0, end_hour))
    return bool(window & spec.hours)


# ---------------------------------------------------------------------------------------------------
# Description

_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
_DAY_FULL = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def _runs(values: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted values: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for v in values:
        if runs and runs[-1][1] == v - 1:
            runs[-1] = (runs[-1][0], v)
        else:
            runs.append((v, v))
    return runs


def _step_of(values: tuple[int, ...], lo: int, hi: int) -> int | None:
    """n when values are exactly lo, lo+n, … and n divides the range evenly (a true "every n"), else None."""
    if len(values) < 2 or values[0] != lo:
        return None
    step = values[1] - values[0]
    if (hi - lo + 1) % step or values != tuple(range(lo, hi + 1, step)):
        return None
    return step


def _words(values: list[int], show: Callable[[int], str] = str, through: str = "-") -> str:
    parts: list[str] = []
    for a, b in _runs(values):
        if b - a >= 2:
            parts.append(f"{show(a)}{through}{show(b)}")
        else:
            parts.extend(show(v) for v in range(a, b + 1))
    return _join(parts)


def _plural(word: str, values: tuple[int, ...] | list[int]) -> str:
    return word if len(values) == 1 else word + "s"


def _describe_time(c: _Compiled) -> str:
    s, m, h = c.seconds, c.minutes, c.hours
    all_s, all_m, all_h = len(s) == 60, len(m) == 60, len(h) == 24
    if len(s) == 1 and len(m) * len(h) <= 4 and not all_h:
        return "at " + _join([f"{x:02}:{y:02}:{s[0]:02}" for x in h for y in m])
    sec_step, min_step = _step_of(s, 0, 59), _step_of(m, 0, 59)
    if all_s:
        sub = "every second"
    elif sec_step is not None:
        sub = f"every {sec_step} seconds"
    elif all_m:
        sub = "every minute" if s == (0,) else f"every minute at {_plural('second', s)} {_words(list(s))}"
    else:
        sub = ""
    if sub:
        if not all_m:
            sub += (
                f", every {min_step} minutes"
                if min_step is not None
                else (f" during {_plural('minute', m)} {_words(list(m))}")
            )
    else:
        sec = "" if s == (0,) else f" at {_plural('second', s)} {_words(list(s))}"
        if min_step is not None:
            sub = f"every {min_step} minutes{sec}"
        elif len(m) == 1:
            hour_step = _step_of(h, 0, 23)
            if all_h:
                return f"every hour at minute {m[0]}{sec}"
            if hour_step is not None:
                return f"every {hour_step} hours at minute {m[0]}{sec}"
            sub = f"every hour at minute {m[0]}{sec}"
        else:
            sub = f"at {_plural('minute', m)} {_words(list(m))}{sec}"
    if all_h:
        return sub
    hour_step = _step_of(h, 0, 23)
    if hour_step is not None:
        return f"{sub}, every {hour_step} hours"
    runs = _runs(list(h))
    if len(runs) == 1:
        return f"{sub}, from {runs[0][0]:02}:00 to {runs[0][1]:02}:59"
    return f"{sub}, during hours {_words(list(h))}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _day_name(v: int) -> str:
    return _DAY_FULL[v % 7]


def _month_name(v: int) -> str:
    import calendar  # its month names follow the locale, as they always have here; rare, so imported late

    return calendar.month_name[v]


def _describe_days(c: _Compiled) -> str:
    r = c.days
    dom_parts: list[str] = []
    if r.dom and len(r.dom) < 31:
        days = sorted(r.dom)
        gaps = {b - a for a, b in itertools.pairwise(days)}
        plain = not (r.dom_last or r.dom_nearest_weekday or r.dom_last_weekday or r.dow_restricted)
        if len(c.months) == 1 and plain:
            dom_parts.append(f"on {_month_name(next(iter(c.months)))} {_words(days)}")
        elif len(days) > 4 and len(gaps) == 1 and (n := gaps.pop()) > 1:
            dom_parts.append(f"on every {_ordinal(n)} day of the month ({days[0]}, {days[1]}, …, {days[-1]})")
        else:
            dom_parts.append(f"on {_plural('day', days)} {_words(days)} of the month")
    for off in sorted(r.dom_last):
        dom_parts.append(
            "on the last day of the month"
            if off == 0
            else f"{off} {_plural('day', [0] * off)} before the last day of the month"
        )
    for n in sorted(r.dom_nearest_weekday):
        dom_parts.append(f"on the weekday nearest day {n}")
    if r.dom_last_weekday:
        dom_parts.append("on the last weekday of the month")
    dow_parts: list[str] = []
    if r.dow and len(r.dow) < 7:
        values = sorted(7 if v == 0 else v for v in r.dow)  # Monday first, Sunday last
        runs = _runs(values)
        if len(runs) == 1 and runs[0][1] - runs[0][0] >= 2:
            dow_parts.append(f"{_day_name(runs[0][0])} through {_day_name(runs[0][1])}")
        else:
            dow_parts.append("on " + _words(values, _day_name, " through "))
    for wd, nth in sorted(r.dow_nth):
        dow_parts.append(f"on the {_ORDINALS[nth]} {_DAY_FULL[wd]} of the month")
    for wd in sorted(r.dow_last):
        dow_parts.append(f"on the last {_DAY_FULL[wd]} of the month")
    parts = [_join(dom_parts)] if dom_parts else []
    if dow_parts:
        parts.append(_join(dow_parts))
    return (" or " if r.dom_restricted and r.dow_restricted else " and ").join(parts)


def _describe(c: _Compiled) -> str:
    text = _describe_time(c)
    days = _describe_days(c)
    if days:
        text += (" " if days.startswith(("on ", "every ")) else ", ") + days
    if len(c.months) < 12 and not days.startswith(f"on {_month_name(min(c.months))} "):
        text += " in " + _words(sorted(c.months), _month_name, " through ")
    if c.years is not None:
        text += (", in " if len(c.months) < 12 else " in ") + _words(list(c.years), str, " through ")
    return text

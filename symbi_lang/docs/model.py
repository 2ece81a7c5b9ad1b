"""What the documentation pages show, computed from the Job IR at a given time.

Templates only lay these values out: every word, time and count is decided here, so HTML and Markdown
say the same things. Values that may be secrets (header values, `agent_pin_jwt`, webhook URL paths) are
shown only when they are `${VAR}` references.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from symbi_lang.attime import AtError, parse_at
from symbi_lang.cron import CronError, CronSpec
from symbi_lang.docs.heatmap import FireCounts, count_cron_fires, count_instants, schedules_firing, total
from symbi_lang.docs.naming import unique_slugs
from symbi_lang.ir import AgentDefinition, JobDefinition, JobSet, Policy

__all__ = ["NEXT_RUNS", "WINDOW", "AgentDoc", "Field", "Run", "ScheduleDoc", "Site", "build_site"]

NEXT_RUNS = 10
WINDOW = timedelta(days=7)
TOTAL_TIMEZONE = "UTC"
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True)
class Field:
    """One row of a schedule page's field table; `code` values are shown literally, `block` ones fenced."""

    label: str
    value: str
    code: bool = False
    block: bool = False


@dataclass(frozen=True, slots=True)
class Run:
    """A fire time: in the schedule's zone, in UTC, and relative to the generation time."""

    local: str
    utc: str
    relative: str
    iso: str


@dataclass(frozen=True, slots=True)
class ScheduleDoc:
    """Everything the index row and the page of one schedule show."""

    name: str
    slug: str
    agent: str
    kind: str  # "cron" or "at"
    expression: str
    timezone: str
    human: str
    description: str | None
    next_runs: tuple[Run, ...]
    badges: tuple[str, ...]
    delivery_summary: str
    delivery_words: tuple[str, ...]
    policy_summary: str
    policy_words: tuple[str, ...]
    source_file: str
    source_line: int
    fields: tuple[Field, ...]
    policy_fields: tuple[Field, ...]
    heartbeat_fields: tuple[Field, ...]
    agent_fields: tuple[Field, ...]
    counts: FireCounts

    @property
    def next_run(self) -> Run | None:
        return self.next_runs[0] if self.next_runs else None

    @property
    def source(self) -> str:
        return f"{self.source_file}:{self.source_line}" if self.source_file else "(not from a file)"


@dataclass(frozen=True, slots=True)
class AgentDoc:
    """An agent row of the index: what it is bound to and which schedules use it (name, slug)."""

    name: str
    model: str
    capabilities: str
    binding: str
    used_by: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Site:
    """The whole documentation set: schedules in source order and the total heat map."""

    title: str
    generated: str
    generated_iso: str
    window: str
    schedules: tuple[ScheduleDoc, ...]
    total: FireCounts
    agents: tuple[AgentDoc, ...]
    schedules_per_hour: FireCounts | None = None  # the combined heat map's colour (`schedules_firing`)

    @property
    def agent_count(self) -> int:
        return len(self.agents)


# --- times -----------------------------------------------------------------------------------------


def format_time(t: datetime, timezone: str) -> str:
    """`Wed 2026-11-25 09:00:00 CET` (weekday names fixed, not from the locale)."""
    local = t.astimezone(ZoneInfo(timezone))
    return f"{_DAY_NAMES[local.weekday()]} {local:%Y-%m-%d %H:%M:%S} {local.tzname()}"


def relative(t: datetime, now: datetime) -> str:
    """`in 3h 20m`, `in 2d 4h`, `in 45s`; `now` for the same second; `… ago` for the past."""
    seconds = int((t - now).total_seconds())
    if seconds == 0:
        return "now"
    past, seconds = seconds < 0, abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{v}{unit}" for v, unit in parts if v][:2]
    text = " ".join(shown)
    return f"{text} ago" if past else f"in {text}"


def _run(t: datetime, timezone: str, now: datetime) -> Run:
    return Run(format_time(t, timezone), format_time(t, "UTC"), relative(t, now), t.isoformat())


def duration_words(seconds: float) -> str:
    """`5 minutes`, `1 hour 30 minutes`, `45 seconds`."""
    whole = round(seconds)
    parts: list[str] = []
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        n, whole = divmod(whole, size)
        if n:
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    return " ".join(parts) or "0 seconds"


# --- secrets ---------------------------------------------------------------------------------------

HIDDEN = "(literal value, not shown)"


def _reference_or_hidden(value: str) -> str:
    return value if "${" in value else HIDDEN


def _url_shown(url: str) -> str:
    if "${" in url:
        return url
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return HIDDEN
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    rest = "/…" if parts.path not in ("", "/") or parts.query else ""
    return f"{parts.scheme}://{host}{rest}"


# --- words -----------------------------------------------------------------------------------------


def _and(items: Sequence[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def delivery_words(job: JobDefinition) -> list[str]:
    """One sentence per delivery channel."""
    words: list[str] = []
    for channel in job.delivery:
        if channel == "stdout":
            words.append("Printed on the scheduler's standard output.")
        elif channel == "log_file":
            words.append("Appended to the job's log file.")
        elif channel == "webhook":
            target = _url_shown(job.webhook_url) if job.webhook_url else "the webhook URL (not set)"
            headers = [k for k, _ in job.webhook_headers]
            extra = f", with the header{'s' if len(headers) != 1 else ''} {_and(headers)}" if headers else ""
            words.append(f"POSTed as JSON to {target}{extra}.")
        elif channel == "slack":
            where = "the default Slack channel"
            if job.slack_channel:
                where = f"the Slack channel {job.slack_channel}"
            words.append(f"Posted to {where}.")
        elif channel == "email":
            to = _and(list(job.email_recipients)) if job.email_recipients else "the configured recipients"
            words.append(f"Emailed to {to}.")
        else:
            words.append(f"Sent to the custom channel {channel}.")
    return words or ["Not delivered anywhere; the output is kept in the run history."]


def delivery_summary(job: JobDefinition) -> str:
    return ", ".join(job.delivery) if job.delivery else "none"


def policy_words(policy: Policy, timezone: str) -> list[str]:
    """One sentence per policy rule, in the order the run pipeline applies them."""
    words: list[str] = []
    if policy.require_agent_pin:
        words.append("The agent must present a valid AgentPin credential before each run.")
    if policy.allowed_environments:
        envs = _and(list(policy.allowed_environments), "or")
        noun = "environment" if len(policy.allowed_environments) == 1 else "environments"
        words.append(f"Runs only in the {envs} {noun}.")
    if policy.allowed_hours is not None:
        h = policy.allowed_hours
        overnight = " (overnight)" if h.end <= h.start else ""
        words.append(f"Runs only between {h.start} and {h.end}{overnight}, {timezone} time.")
    if policy.require_capabilities:
        caps = _and(list(policy.require_capabilities))
        noun = "capabilities" if len(policy.require_capabilities) > 1 else "capability"
        words.append(f"The agent must have the {noun} {caps}.")
    if policy.require_approval:
        who = f" from {policy.approver}" if policy.approver else ""
        words.append(f"Each run waits for approval{who}.")
    if policy.max_runtime_seconds is not None:
        words.append(f"A run is stopped after {duration_words(policy.max_runtime_seconds)}.")
    return words or ["No policy restrictions."]


def policy_summary(policy: Policy) -> str:
    parts: list[str] = []
    if policy.require_approval:
        parts.append(f"approval ({policy.approver})" if policy.approver else "approval")
    if policy.max_runtime is not None:
        parts.append(f"max {policy.max_runtime}")
    if policy.allowed_hours is not None:
        parts.append(f"{policy.allowed_hours.start}–{policy.allowed_hours.end}")
    if policy.allowed_environments:
        parts.append("env " + "/".join(policy.allowed_environments))
    if policy.require_capabilities:
        parts.append("caps " + ", ".join(policy.require_capabilities))
    if policy.require_agent_pin:
        parts.append("AgentPin")
    return " · ".join(parts) or "none"


def _badges(job: JobDefinition, has_future: bool) -> tuple[str, ...]:
    badges: list[str] = []
    if job.heartbeat is not None and job.heartbeat.enabled:
        badges.append("heartbeat")
    if job.at is not None or job.one_shot:
        badges.append("one-shot")
    if job.policy.require_approval:
        badges.append("approval")
    if not has_future:
        badges.append("no further runs")
    return tuple(badges)


# --- fields ----------------------------------------------------------------------------------------


def _opt(value: object, unset: str = "not set") -> str:
    return unset if value is None else str(value)


def _list(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "none"


def _secret_field(label: str, value: str | None) -> Field:
    if value is None:
        return Field(label, "not set")
    shown = _reference_or_hidden(value)
    return Field(label, shown, code=shown != HIDDEN)


def _text_field(label: str, value: str | None) -> Field:
    if value is None:
        return Field(label, "not set")
    return Field(label, value, block="\n" in value)


def schedule_fields(job: JobDefinition) -> tuple[Field, ...]:
    """Every schedule field, set or not, in the order the DSL documents them."""
    headers = ", ".join(f"{k}: {_reference_or_hidden(v)}" for k, v in job.webhook_headers)
    return (
        Field("name", job.name, code=True),
        Field("agent", job.agent_id, code=True),
        Field("cron", job.cron_expr, code=True) if job.cron_expr is not None else Field("cron", "not set"),
        Field("at", job.at, code=True) if job.at is not None else Field("at", "not set"),
        Field("one_shot", "true" if job.one_shot else "false", code=True),
        Field("timezone", job.timezone, code=True),
        _text_field("description", job.description),
        _text_field("input", job.input),
        Field("session_mode", job.session_mode.value, code=True),
        Field("delivery", _list(job.delivery)),
        Field("webhook_url", _url_shown(job.webhook_url) if job.webhook_url else "not set"),
        Field("webhook_headers", headers or "none"),
        Field("slack_channel", _opt(job.slack_channel)),
        Field("email_recipients", _list(job.email_recipients)),
        Field("max_concurrent", str(job.max_concurrent)),
        Field("max_retries", _opt(job.max_retries)),
        Field("jitter", "not set" if job.jitter is None else f"{job.jitter} s"),
        Field("catchup", job.catchup.value, code=True),
        _secret_field("agent_pin_jwt", job.agent_pin_jwt),
    )


def policy_fields(policy: Policy) -> tuple[Field, ...]:
    hours = policy.allowed_hours
    return (
        Field("require_approval", str(policy.require_approval).lower(), code=True),
        Field("approver", _opt(policy.approver)),
        Field("max_runtime", _opt(policy.max_runtime)),
        Field("require_capabilities", _list(policy.require_capabilities)),
        Field("allowed_hours", f"{hours.start}–{hours.end}" if hours else "not set"),
        Field("allowed_environments", _list(policy.allowed_environments)),
        Field("require_agent_pin", str(policy.require_agent_pin).lower(), code=True),
    )


def heartbeat_fields(job: JobDefinition) -> tuple[Field, ...]:
    hb = job.heartbeat
    if hb is None:
        return ()
    return (
        Field("enabled", str(hb.enabled).lower(), code=True),
        Field("context_mode", hb.context_mode.value, code=True),
        Field("max_iterations", str(hb.max_iterations)),
    )


def agent_fields(agent: AgentDefinition | None) -> tuple[Field, ...]:
    if agent is None:
        return (Field("binding", "not defined in these files (registered with the runtime)"),)
    if agent.handler is not None:
        binding = Field("handler", agent.handler, code=True)
    elif agent.command is not None:
        binding = Field("command", json.dumps(list(agent.command), ensure_ascii=False), code=True)
    elif agent.endpoint is not None:
        binding = Field("endpoint", _url_shown(agent.endpoint))
    else:
        binding = Field("binding", "none (registered with the runtime)")
    return (
        Field("model", _opt(agent.model)),
        _text_field("description", agent.description),
        Field("capabilities", _list(agent.capabilities)),
        binding,
        _text_field("system_prompt", agent.system_prompt),
    )


# --- building --------------------------------------------------------------------------------------


class _FireCounter:
    """Heat-map counts for one build's window, computed once per (expression, zone): a large fleet
    repeats the same few expressions (`0 0 9 * * MON-FRI` …), and counting a week of fires is the
    costly part of documenting a schedule."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.end = now + WINDOW
        self._counts: dict[tuple[str, str, str], FireCounts] = {}
        self._next: dict[tuple[str, str], list[datetime]] = {}
        self._runs: dict[tuple[str, str, str, int], tuple[Run, ...]] = {}
        self.shared = _Shared()

    def cron_fires(self, spec: CronSpec, timezone: str) -> FireCounts:
        """Fires of `spec` (in its own zone) bucketed by the hours of `timezone`."""
        key = (spec.expression, spec.timezone, timezone)
        found = self._counts.get(key)
        if found is None:
            found = self._counts[key] = count_cron_fires(spec, timezone, self.now, self.end)
        return found

    def next_runs(self, spec: CronSpec) -> list[datetime]:
        key = (spec.expression, spec.timezone)
        found = self._next.get(key)
        if found is None:
            found = self._next[key] = spec.next_n(self.now, NEXT_RUNS)
        return found

    def shown_runs(self, spec: CronSpec, runs: Sequence[datetime], timezone: str) -> tuple[Run, ...]:
        """`runs` (the first fires of `spec`) as the page shows them in `timezone`: formatting ten times
        for each of 10,000 schedules cost more than counting their fires."""
        key = (spec.expression, spec.timezone, timezone, len(runs))
        found = self._runs.get(key)
        if found is None:
            found = self._runs[key] = tuple(_run(t, timezone, self.now) for t in runs)
        return found


class _Shared:
    """Words and field tables that depend only on a policy or an agent, computed once per build: a fleet
    shares a few policies and agents, and the pages' tuples can be shared as the values are frozen."""

    def __init__(self) -> None:
        self._policy: dict[tuple[Policy, str], tuple[str, tuple[str, ...], tuple[Field, ...]]] = {}
        self._agent: dict[AgentDefinition | None, tuple[Field, ...]] = {}

    def policy(self, policy: Policy, timezone: str) -> tuple[str, tuple[str, ...], tuple[Field, ...]]:
        """(summary, sentences, fields) of `policy` for a schedule in `timezone`."""
        key = (policy, timezone)
        found = self._policy.get(key)
        if found is None:
            found = (policy_summary(policy), tuple(policy_words(policy, timezone)), policy_fields(policy))
            self._policy[key] = found
        return found

    def agent(self, agent: AgentDefinition | None) -> tuple[Field, ...]:
        found = self._agent.get(agent)
        if found is None:
            found = self._agent[agent] = agent_fields(agent)
        return found


def _schedule(job: JobDefinition, slug: str, counter: _FireCounter) -> tuple[ScheduleDoc, FireCounts]:
    """The page of `job`, and its fires counted in `TOTAL_TIMEZONE` for the total heat map."""
    now, end = counter.now, counter.end
    runs: list[datetime] = []
    counts: FireCounts | None = None
    counts_total: FireCounts | None = None
    spec: CronSpec | None = None
    if job.cron_expr is not None:
        kind, expression = "cron", job.cron_expr
        try:
            spec = CronSpec.parse(job.cron_expr, job.timezone)
        except CronError as e:
            human = f"invalid cron expression ({e})"
        else:
            human = spec.describe()
            runs = counter.next_runs(spec)
            if job.one_shot:  # the one fire it takes if loaded now
                human = f"once, at the first match after loading: {human}"
                runs = runs[:1]
                counts = count_instants(runs, job.timezone, now, end)
                counts_total = count_instants(runs, TOTAL_TIMEZONE, now, end)
            else:
                counts = counter.cron_fires(spec, job.timezone)
                counts_total = (
                    counts if job.timezone == TOTAL_TIMEZONE else counter.cron_fires(spec, TOTAL_TIMEZONE)
                )
    else:
        kind, expression = "at", job.at or ""
        try:
            at = parse_at(expression, job.timezone)
        except AtError as e:
            human = f"invalid time ({e})"
        else:
            human = f"once, at {format_time(at, job.timezone)}"
            runs = [at] if at > now else []
            counts = count_instants(runs, job.timezone, now, end)
            counts_total = count_instants(runs, TOTAL_TIMEZONE, now, end)
    if counts is None:  # no fires (invalid expression or time), or an unknown zone
        # Checks reject an unknown zone, but documenting never fails on one.
        counts = count_instants((), job.timezone if _zone_ok(job.timezone) else "UTC", now, end)
    if counts_total is None:
        counts_total = count_instants((), TOTAL_TIMEZONE, now, end)
    if spec is not None:
        next_runs = counter.shown_runs(spec, runs, counts.timezone)
    else:
        next_runs = tuple(_run(t, counts.timezone, now) for t in runs)
    summary, sentences, policy_table = counter.shared.policy(job.policy, job.timezone)
    doc = ScheduleDoc(
        name=job.name,
        slug=slug,
        agent=job.agent_id,
        kind=kind,
        expression=expression,
        timezone=job.timezone,
        human=human,
        description=job.description,
        next_runs=next_runs,
        badges=_badges(job, bool(runs)),
        delivery_summary=delivery_summary(job),
        delivery_words=tuple(delivery_words(job)),
        policy_summary=summary,
        policy_words=sentences,
        source_file=job.source.file,
        source_line=job.source.line,
        fields=schedule_fields(job),
        policy_fields=policy_table,
        heartbeat_fields=heartbeat_fields(job),
        agent_fields=counter.shared.agent(job.agent),
        counts=counts,
    )
    return doc, counts_total


def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        return False
    return True


def _binding(agent: AgentDefinition) -> str:
    if agent.handler is not None:
        return f"handler {agent.handler}"
    if agent.command is not None:
        return "command " + json.dumps(list(agent.command), ensure_ascii=False)
    if agent.endpoint is not None:
        return f"endpoint {_url_shown(agent.endpoint)}"
    return "registered with the runtime"


def _agent_doc(agent: AgentDefinition, schedules: Sequence[ScheduleDoc]) -> AgentDoc:
    return AgentDoc(
        name=agent.name,
        model=_opt(agent.model),
        capabilities=_list(agent.capabilities),
        binding=_binding(agent),
        used_by=tuple((s.name, s.slug) for s in schedules if s.agent == agent.name),
    )


def build_site(jobset: JobSet, now: datetime, *, title: str = "Schedules") -> Site:
    """The documentation of `jobset` as of `now` (aware; naive means UTC)."""
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    slugs = unique_slugs(j.name for j in jobset.jobs)
    counter = _FireCounter(now)
    built = [_schedule(j, slugs[j.name], counter) for j in jobset.jobs]
    schedules = tuple(doc for doc, _ in built)
    end = now + WINDOW
    total_counts = total((c for _, c in built), TOTAL_TIMEZONE, now, end)
    per_hour = schedules_firing((c for _, c in built), TOTAL_TIMEZONE, now, end)
    return Site(
        title=title,
        generated=format_time(now, "UTC"),
        generated_iso=now.isoformat(),
        window=f"{format_time(now, 'UTC')} – {format_time(end, 'UTC')}",
        schedules=schedules,
        total=total_counts,
        agents=tuple(_agent_doc(a, schedules) for a in jobset.agents),
        schedules_per_hour=per_hour,
    )

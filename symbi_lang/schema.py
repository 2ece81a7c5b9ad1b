"""The field table: every block kind of the language and the fields it may hold.

One declarative source for the checks (unknown field, wrong type, enum values, interpolation rules),
the language server (hover text, completion) and the documentation. Block paths name where a field
sits: `("schedule",)`, `("schedule", "policy")`, `("schedule", "policy", "allowed_hours")`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Shape(StrEnum):
    """What a field's value may look like in the source; the value is the word used in messages."""

    STRING = "a string"
    INTEGER = "an integer"
    BOOLEAN = "`true` or `false`"
    STRING_LIST = "a list of strings"
    STRING_MAP = "a map of strings"
    BLOCK = "a block"


class Format(StrEnum):
    """What a string means, beyond being a string (drives the specialised checks)."""

    CRON = "cron"
    DATETIME = "datetime"
    TIMEZONE = "timezone"
    DURATION = "duration"
    TIME_OF_DAY = "time-of-day"
    URL = "url"
    EMAIL = "email"
    PYTHON_REF = "python-ref"
    AGENT_REF = "agent-ref"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a block: the value shapes it accepts, its meaning, and its documentation.

    `interpolation` says whether `${VAR}` may appear in its strings (value-carrying fields only; never
    in names, references, schedules or enum values). `enum` lists the accepted words (an enum field may
    be written as a string or a bare identifier); `open_enum` allows other words (custom delivery
    channels). `block` names the nested field table for a `BLOCK` field.
    """

    name: str
    shapes: tuple[Shape, ...]
    doc: str
    example: str
    interpolation: bool = False
    format: Format | None = None
    enum: tuple[str, ...] = ()
    open_enum: bool = False
    block: str | None = None
    required: bool = False
    minimum: int | None = None
    default: str | None = None

    @property
    def shape_text(self) -> str:
        """The accepted shapes in words: `a string or an integer`."""
        return " or ".join(s.value for s in self.shapes)

    @property
    def markdown(self) -> str:
        """Hover text: signature line, the paragraph, accepted values, default and an example."""
        lines = [f"**`{self.name}`**: {self.shape_text}", "", self.doc]
        if self.enum:
            values = ", ".join(f"`{e}`" for e in self.enum)
            lines += ["", "Values: " + values + (" (or a custom channel name)" if self.open_enum else "")]
        if self.default is not None:
            lines += ["", f"Default: `{self.default}`"]
        lines += ["", "```symbiont", self.example, "```"]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class BlockSpec:
    """A block kind: where it may appear, whether it takes a label, and its fields."""

    kind: str
    doc: str
    fields: Mapping[str, FieldSpec]
    top_level: bool = False
    #: top-level blocks are named by a label (`agent heartbeat_monitor { … }`) or a `name:` field.
    named: bool = False
    example: str = ""


def _table(*specs: FieldSpec) -> Mapping[str, FieldSpec]:
    return MappingProxyType({s.name: s for s in specs})


S, INT, B, L, M, BL = (
    Shape.STRING,
    Shape.INTEGER,
    Shape.BOOLEAN,
    Shape.STRING_LIST,
    Shape.STRING_MAP,
    Shape.BLOCK,
)

SESSION_MODES = ("ephemeral_with_summary", "shared_persistent", "fully_ephemeral")
CONTEXT_MODES = SESSION_MODES
DELIVERY_CHANNELS = ("stdout", "log_file", "webhook", "slack", "email")
CATCHUP_POLICIES = ("latest", "earliest", "all", "none")

SCHEDULE_FIELDS = _table(
    FieldSpec(
        "name",
        (S,),
        "The schedule's unique name. `symbi cron` commands, metrics and logs refer to the job by it. "
        "Either this field or a label (`schedule daily_report { … }`) names the schedule, not both.",
        'name: "daily-report"',
        format=Format.NAME,
    ),
    FieldSpec(
        "agent",
        (S,),
        "The agent that runs on every fire: an `agent NAME { … }` block in the checked files, or an "
        "agent registered with the runtime in-process.",
        'agent: "reporter-agent"',
        format=Format.AGENT_REF,
        required=True,
    ),
    FieldSpec(
        "cron",
        (S,),
        "When the job fires, as a cron expression with **six fields, seconds first** "
        "(`second minute hour day-of-month month day-of-week`) and an optional seventh year field. "
        "Day of week 0–6 with Sunday = 0. Exactly one of `cron` and `at` is required.",
        'cron: "0 0 9 * * *"  # every day at 09:00:00',
        format=Format.CRON,
    ),
    FieldSpec(
        "at",
        (S,),
        "A one-shot job: fire once at this ISO 8601 instant (`2026-02-15T14:30:00Z`; without an "
        "offset it is read in the schedule's `timezone`). Exactly one of `cron` and `at` is required.",
        'at: "2026-02-15T14:30:00Z"',
        format=Format.DATETIME,
    ),
    FieldSpec(
        "one_shot",
        (B,),
        "`true`: fire once, at the first match of `cron` after the job is loaded (by `symbi up`, "
        "`symbi cron add` or the HTTP API), then complete, whatever that run's outcome (succeeded, failed, "
        "skipped, denied, timed out). Reloading the unchanged file never fires it again; changing `cron`, "
        "`timezone` or `one_shot` schedules it anew. Only with `cron`: an `at` job always fires once.",
        'one_shot: true  # with cron: "0 0 9 * * *", the next 09:00 only',
        default="false",
    ),
    FieldSpec(
        "timezone",
        (S,),
        "The IANA time zone in which `cron` (and an `at` without offset) is read. Daylight-saving "
        "changes follow Vixie cron: a fixed-time job fires once in a skipped or repeated hour.",
        'timezone: "Europe/Berlin"',
        format=Format.TIMEZONE,
        default="UTC",
    ),
    FieldSpec(
        "description",
        (S,),
        "Free text describing the job, shown by `symbi cron status` and in generated documentation.",
        'description: "End-of-week digest for the team"',
        interpolation=True,
    ),
    FieldSpec(
        "input",
        (S,),
        "The input given to the agent on every run (`symbi cron run --input` overrides it once). "
        "`${VAR}` references are resolved when the job runs.",
        'input: "Summarise yesterday\'s activity."',
        interpolation=True,
    ),
    FieldSpec(
        "session_mode",
        (S,),
        "How agent context carries over between runs: `ephemeral_with_summary` (fresh context with a "
        "summary of the previous run), `shared_persistent` (one context for every run) or "
        "`fully_ephemeral` (no carry-over).",
        'session_mode: "ephemeral_with_summary"',
        enum=SESSION_MODES,
        default="ephemeral_with_summary",
    ),
    FieldSpec(
        "delivery",
        (L,),
        "Where each run's output goes: any of `stdout`, `log_file`, `webhook` (needs `webhook_url`), "
        "`slack` (needs `slack_channel` or a configured default channel), `email` (needs "
        "`email_recipients`), or the name of a custom channel registered with the runtime.",
        'delivery: ["stdout", "log_file"]',
        enum=DELIVERY_CHANNELS,
        open_enum=True,
        default="[]",
    ),
    FieldSpec(
        "policy",
        (BL,),
        "Conditions checked before every run: approval, maximum runtime, required capabilities, "
        "allowed hours and environments, AgentPin identity.",
        'policy {\n  require_approval: false\n  max_runtime: "5m"\n}',
        block="policy",
    ),
    FieldSpec(
        "heartbeat",
        (BL,),
        "Run the agent as a heartbeat: on each fire it assesses, acts and sleeps again, up to "
        "`max_iterations` times. Needs a `cron` schedule.",
        'heartbeat: {\n  enabled: true\n  context_mode: "ephemeral_with_summary"\n  max_iterations: 100\n}',
        block="heartbeat",
    ),
    FieldSpec(
        "webhook_url",
        (S,),
        "The URL the `webhook` delivery channel POSTs each run's output to. Use `${VAR}` for URLs "
        "that carry a secret.",
        'webhook_url: "https://metrics.example.com/ingest"',
        interpolation=True,
        format=Format.URL,
    ),
    FieldSpec(
        "webhook_headers",
        (M,),
        "Extra HTTP headers for the `webhook` channel. Put secrets in `${VAR}` references, never "
        "literally: they are resolved only when the job runs.",
        'webhook_headers: {\n  "Authorization": "Bearer ${METRICS_API_KEY}"\n}',
        interpolation=True,
    ),
    FieldSpec(
        "slack_channel",
        (S,),
        "The Slack channel for the `slack` delivery channel (else `slack_default_channel` from "
        "`[scheduler.delivery]` in `symbi.toml`).",
        'slack_channel: "#ops-alerts"',
        interpolation=True,
    ),
    FieldSpec(
        "email_recipients",
        (L,),
        "Addresses the `email` delivery channel sends each run's output to.",
        'email_recipients: ["ops@example.com"]',
        interpolation=True,
        format=Format.EMAIL,
    ),
    FieldSpec(
        "max_concurrent",
        (INT,),
        "How many runs of this job may be in flight at once; a fire that would exceed it is "
        "skipped and recorded.",
        "max_concurrent: 2",
        minimum=1,
        default="1",
    ),
    FieldSpec(
        "max_retries",
        (INT,),
        "After this many consecutive failed runs the job moves to `dead_letter` for manual review "
        "(`symbi cron reset` returns it to `active`). Defaults to `default_max_retries` of the "
        "scheduler configuration.",
        "max_retries: 3",
        minimum=0,
    ),
    FieldSpec(
        "jitter",
        (S, INT),
        "A random delay of up to this long before each run, overriding the scheduler's "
        '`max_jitter_seconds` for this job: a duration such as `"30s"` or a number of seconds.',
        'jitter: "30s"',
        format=Format.DURATION,
        minimum=0,
    ),
    FieldSpec(
        "catchup",
        (S,),
        "What to do with fires missed while the scheduler was down: run the `latest` one, the "
        "`earliest` one, `all` of them (bounded), or `none`.",
        'catchup: "latest"',
        enum=CATCHUP_POLICIES,
        default="latest",
    ),
    FieldSpec(
        "agent_pin_jwt",
        (S,),
        "The agent's AgentPin credential (an ES256 JWT), verified before every run when "
        "`policy { require_agent_pin: true }`. Always a `${VAR}` reference, never the token itself.",
        'agent_pin_jwt: "${AGENT_PIN_JWT}"',
        interpolation=True,
    ),
)

POLICY_FIELDS = _table(
    FieldSpec(
        "require_approval",
        (B,),
        "Park every run as `awaiting_approval` until a person approves it "
        "(`symbi cron approve RUN_ID` or the HTTP API).",
        "require_approval: true",
        default="false",
    ),
    FieldSpec(
        "approver",
        (S,),
        "Who is asked to approve runs when `require_approval` is true (shown with the pending run).",
        'approver: "ops-oncall"',
        interpolation=True,
    ),
    FieldSpec(
        "max_runtime",
        (S, INT),
        "A run still going after this long is cancelled and recorded as `timed_out`: a duration such "
        'as `"30m"` or `"1h30m"` (units `d`, `h`, `m`, `s`), or a number of seconds.',
        'max_runtime: "30m"',
        format=Format.DURATION,
        minimum=1,
    ),
    FieldSpec(
        "require_capabilities",
        (L,),
        "Capabilities the agent must declare; a run whose agent lacks one is denied.",
        'require_capabilities: ["deployment", "production_write"]',
    ),
    FieldSpec(
        "allowed_hours",
        (BL,),
        "A daily window (in the schedule's `timezone`) outside which runs are denied: `start` "
        "inclusive, `end` exclusive; a window whose end is not after its start crosses midnight.",
        'allowed_hours: {\n  start: "00:00"\n  end: "04:00"\n}',
        block="allowed_hours",
    ),
    FieldSpec(
        "allowed_environments",
        (L,),
        "Runtime environments (the runtime's configured `environment`) in which the job may run.",
        'allowed_environments: ["staging", "production"]',
    ),
    FieldSpec(
        "require_agent_pin",
        (B,),
        "Verify the agent's AgentPin credential (`agent_pin_jwt`) before every run.",
        "require_agent_pin: true",
        default="false",
    ),
)

ALLOWED_HOURS_FIELDS = _table(
    FieldSpec(
        "start",
        (S, INT),
        'The window\'s first minute: `"HH:MM"` (00:00–23:59) or an hour 0–23.',
        'start: "00:00"',
        format=Format.TIME_OF_DAY,
        required=True,
    ),
    FieldSpec(
        "end",
        (S, INT),
        'The end of the window, exclusive: `"HH:MM"` (00:00–24:00) or an hour 0–24.',
        'end: "04:00"',
        format=Format.TIME_OF_DAY,
        required=True,
    ),
)

HEARTBEAT_FIELDS = _table(
    FieldSpec(
        "enabled",
        (B,),
        "Whether the heartbeat loop runs; `false` keeps the settings but runs the agent once per fire.",
        "enabled: true",
        default="true",
    ),
    FieldSpec(
        "context_mode",
        (S,),
        "How context carries over between heartbeat iterations: `ephemeral_with_summary` (fresh "
        "context plus a summary of the previous iteration), `shared_persistent` (one context, memory "
        "accumulates) or `fully_ephemeral` (stateless).",
        'context_mode: "ephemeral_with_summary"',
        enum=CONTEXT_MODES,
        default="ephemeral_with_summary",
    ),
    FieldSpec(
        "max_iterations",
        (INT,),
        "A safety limit: the most assess → act → sleep iterations one fire may run.",
        "max_iterations: 100",
        minimum=1,
        default="100",
    ),
)

AGENT_FIELDS = _table(
    FieldSpec(
        "name",
        (S,),
        "The agent's name, which schedules refer to in `agent:`. Either this field or a label "
        "(`agent heartbeat_monitor { … }`) names the agent, not both.",
        'name: "heartbeat_monitor"',
        format=Format.NAME,
    ),
    FieldSpec(
        "model",
        (S,),
        "The model the agent talks to (for an `endpoint` binding, the `model` of each request).",
        'model: "claude-sonnet-4.5"',
        interpolation=True,
    ),
    FieldSpec(
        "system_prompt",
        (S,),
        "The agent's instructions, sent as the system message. Triple-quoted strings are dedented.",
        'system_prompt: """\n  You are a system monitoring agent.\n  """',
        interpolation=True,
    ),
    FieldSpec(
        "capabilities",
        (L,),
        "What the agent may do; a schedule's `policy.require_capabilities` must be a subset of it.",
        'capabilities: ["monitoring", "deployment"]',
    ),
    FieldSpec(
        "description",
        (S,),
        "Free text describing the agent, shown in generated documentation.",
        'description: "Deploys the release that was approved"',
        interpolation=True,
    ),
    FieldSpec(
        "handler",
        (S,),
        'Executor binding: an in-process async callable `"package.module:function"` that receives '
        "the run's input and returns its output. At most one of `handler`, `command`, `endpoint`.",
        'handler: "myapp.agents:report"',
        interpolation=True,
        format=Format.PYTHON_REF,
    ),
    FieldSpec(
        "command",
        (L,),
        "Executor binding: a subprocess `[argv…]`; the run's input goes to its stdin and its stdout "
        "is the output. At most one of `handler`, `command`, `endpoint`.",
        'command: ["python", "-m", "myapp.report"]',
        interpolation=True,
    ),
    FieldSpec(
        "endpoint",
        (S,),
        "Executor binding: the base URL of an OpenAI-compatible chat API. At most one of "
        "`handler`, `command`, `endpoint`.",
        'endpoint: "http://127.0.0.1:11434/v1"',
        interpolation=True,
        format=Format.URL,
    ),
    FieldSpec(
        "api_key_env",
        (S,),
        "The name of the environment variable holding the API key for `endpoint` (read when the "
        "agent runs; the key itself never appears in the file).",
        'api_key_env: "OPENAI_API_KEY"',
        interpolation=True,
    ),
)

BLOCKS: Mapping[str, BlockSpec] = MappingProxyType(
    {
        "schedule": BlockSpec(
            "schedule",
            "A scheduled job: which agent runs, when (`cron` or `at`), with what input, under which "
            "policy, and where the output is delivered.",
            SCHEDULE_FIELDS,
            top_level=True,
            named=True,
            example='schedule {\n  name: "daily-report"\n  agent: "reporter-agent"\n  cron: "0 0 9 * * *"\n}',
        ),
        "agent": BlockSpec(
            "agent",
            "An agent definition: model, prompt, capabilities and at most one executor binding "
            "(`handler`, `command` or `endpoint`). An agent without a binding is resolved from "
            "agents registered with the runtime in-process.",
            AGENT_FIELDS,
            top_level=True,
            named=True,
            example='agent reporter {\n  command: ["sh", "-c", "cat"]\n}',
        ),
        "policy": BlockSpec("policy", SCHEDULE_FIELDS["policy"].doc, POLICY_FIELDS),
        "heartbeat": BlockSpec("heartbeat", SCHEDULE_FIELDS["heartbeat"].doc, HEARTBEAT_FIELDS),
        "allowed_hours": BlockSpec("allowed_hours", POLICY_FIELDS["allowed_hours"].doc, ALLOWED_HOURS_FIELDS),
    }
)

#: Every block kind's fields: `FIELDS_BY_BLOCK["policy"]["max_runtime"]`.
FIELDS_BY_BLOCK: Mapping[str, Mapping[str, FieldSpec]] = MappingProxyType(
    {kind: spec.fields for kind, spec in BLOCKS.items()}
)

TOP_LEVEL_KINDS: tuple[str, ...] = tuple(k for k, b in BLOCKS.items() if b.top_level)


def block_spec(block_path: tuple[str, ...]) -> BlockSpec | None:
    """The block at `block_path` (`("schedule", "policy")`), or None if no such block exists."""
    if not block_path:
        return None
    spec = BLOCKS.get(block_path[0])
    if spec is None or not spec.top_level:
        return None
    for name in block_path[1:]:
        f = spec.fields.get(name)
        if f is None or f.block is None:
            return None
        spec = BLOCKS[f.block]
    return spec


def field_spec(block_path: tuple[str, ...], name: str) -> FieldSpec | None:
    """The field `name` inside the block at `block_path`, or None if the language has no such field."""
    spec = block_spec(block_path)
    return None if spec is None else spec.fields.get(name)

"""The registry of diagnostic codes. Codes are never reused; messages live here, not in f-strings.

Ranges: SYM0xx syntax · SYM1xx fields and structure · SYM2xx cron, `at`, time · SYM3xx delivery ·
SYM4xx policy and identity · SYM5xx interpolation and secrets · SYM6xx heartbeat and sessions ·
SYM7xx cross-file (names, agents) · SYM9xx input/output.
"""

from __future__ import annotations

from symbi_lang.diagnostics import Code, Severity

E = Severity.ERROR
W = Severity.WARNING
I = Severity.INFO  # noqa: E741

REGISTRY: dict[str, Code] = {}


def _code(code: str, slug: str, severity: Severity, template: str, description: str = "") -> Code:
    if code in REGISTRY:
        raise ValueError(f"diagnostic code {code} registered twice")
    c = Code(code, slug, severity, template, description)
    REGISTRY[code] = c
    return c


# --- SYM0xx: syntax -------------------------------------------------------------------------------
UNEXPECTED_TOKEN = _code("SYM001", "unexpected-token", E, "unexpected {found}{expected}")
MISSING_COLON = _code("SYM002", "missing-colon", E, "expected `:` after field name `{name}`")
MISSING_VALUE = _code("SYM003", "missing-value", E, "missing value for `{name}`")
UNCLOSED_BLOCK = _code("SYM004", "unclosed-block", E, "unclosed `{kind}` block: `{{` has no matching `}}`")
STRAY_CLOSE = _code("SYM005", "stray-close", E, "unexpected `{char}`: nothing is open here")
UNTERMINATED_STRING = _code("SYM006", "unterminated-string", E, "unterminated string")
BAD_CHARACTER = _code("SYM007", "bad-character", E, "unexpected character {char}")
MISSING_COMMA = _code("SYM008", "missing-comma", E, "expected `,` between {what} items")
UNCLOSED_BRACKET = _code("SYM009", "unclosed-bracket", E, "unclosed `{open}`: expected `{close}`")
BAD_ESCAPE = _code("SYM010", "bad-escape", E, "unknown escape sequence `{escape}`")
MISSING_BLOCK_BODY = _code("SYM011", "missing-block-body", E, "expected `{{` to open the `{kind}` block")
SINGLE_QUOTES = _code("SYM012", "single-quotes", E, "strings use double quotes, not single quotes")
NUMBER_TOO_LARGE = _code(
    "SYM013",
    "number-too-large",
    E,
    "number too large: {digits}",
    "Integers are 64-bit (up to 9223372036854775807 in size); a number beyond that, or a decimal "
    "too large to represent, cannot mean anything here.",
)
HYPHENATED_LABEL = _code(
    "SYM014",
    "hyphenated-label",
    E,
    "a block label is a bare name (letters, digits, `_`), and `{label}` has `-`",
    'A name with `-` is given as a string: `name: "disk-heartbeat"`.',
)

# --- SYM1xx: fields and structure -----------------------------------------------------------------
UNKNOWN_BLOCK = _code(
    "SYM101",
    "unknown-block",
    E,
    "unknown block kind `{kind}`",
    "Top-level items are `schedule { … }` and `agent NAME { … }`.",
)
UNKNOWN_FIELD = _code(
    "SYM102",
    "unknown-field",
    E,
    "unknown field `{name}` in `{block}`",
    "The field is not part of the language; the help names the closest known field.",
)
WRONG_TYPE = _code(
    "SYM103",
    "wrong-type",
    E,
    "`{name}` must be {expected}, got {got}",
    "A field's value has the wrong shape (string, integer, boolean, list, map or block).",
)
DUPLICATE_FIELD = _code(
    "SYM104",
    "duplicate-field",
    E,
    "`{name}` is given more than once",
    "Each field may appear once per block; only the first would be used.",
)
NAMED_TWICE = _code(
    "SYM105",
    "named-twice",
    E,
    "{kind} is named twice: by its label `{label}` and by `name:`",
    "A schedule or agent is named by a label (`schedule daily_report { … }`) or a `name:` field, not both.",
)
MISSING_NAME = _code(
    "SYM106",
    "missing-name",
    E,
    "{kind} has no name",
    "A schedule or agent needs a label or a non-empty `name:` field.",
)
MISSING_FIELD = _code(
    "SYM107",
    "missing-field",
    E,
    "{where} has no `{name}`",
    "A required field is missing.",
)
BAD_ENUM = _code(
    "SYM108",
    "bad-enum",
    E,
    "`{value}` is not a valid `{name}`",
    "The value must be one of the words the field accepts.",
)
BELOW_MINIMUM = _code(
    "SYM109",
    "below-minimum",
    E,
    "`{name}` must be at least {minimum}, got {value}",
    "A counter or limit is out of range.",
)
SEVERAL_BINDINGS = _code(
    "SYM110",
    "several-bindings",
    E,
    "agent `{agent}` has more than one executor binding: {bindings}",
    "An agent runs through at most one of `handler`, `command`, `endpoint`.",
)
BAD_HANDLER = _code(
    "SYM111",
    "bad-handler",
    E,
    "`handler` must look like `package.module:function`, got `{value}`",
    "An in-process handler is named by its module path and attribute.",
)
EMPTY_COMMAND = _code(
    "SYM112",
    "empty-command",
    E,
    "`command` needs at least the program to run",
    "A subprocess binding is a non-empty argv list.",
)
EMPTY_VALUE = _code(
    "SYM113",
    "empty-value",
    E,
    "`{name}` must not be empty",
    "A name, reference or expression field is an empty string.",
)
BAD_JOB_NAME = _code(
    "SYM114",
    "bad-job-name",
    E,
    "schedule name {shown} is not allowed: {why}",
    "A job name is 1-128 visible characters without `/` or `\\`, control or invisible formatting "
    "characters, a leading `.` or surrounding spaces: it names log files, metrics and CLI arguments.",
)

# --- SYM2xx: cron, `at`, time ---------------------------------------------------------------------
CRON_INVALID = _code(
    "SYM201",
    "cron-invalid",
    E,
    "{message}",
    "A cron field is malformed or out of range; the caret points at the field.",
)
CRON_FIVE_FIELDS = _code(
    "SYM202",
    "cron-five-fields",
    E,
    "cron expression has 5 fields; symbi cron has 6, seconds first",
    "Classic 5-field cron is not accepted: add the seconds field in front.",
)
CRON_NEVER_FIRES = _code(
    "SYM203",
    "cron-never-fires",
    E,
    "{message}",
    "No date matches the expression, or its year field has run out.",
)
CRON_DOM_DOW = _code(
    "SYM204",
    "cron-dom-dow-or",
    W,
    "day of month and day of week are both restricted: the job fires when EITHER matches",
    "POSIX/Vixie cron ORs the two day fields when both are restricted.",
)
CRON_OUTSIDE_HOURS = _code(
    "SYM205",
    "cron-outside-allowed-hours",
    E,
    "`{expr}` never fires inside `allowed_hours` {start}–{end}: every run would be denied",
    "The cron hours and the policy's time window do not overlap.",
)
NO_TIME = _code(
    "SYM206",
    "no-time",
    E,
    "{where} has neither `cron` nor `at`",
    "A schedule needs exactly one of `cron` (recurring) and `at` (one-shot).",
)
CRON_AND_AT = _code(
    "SYM207",
    "cron-and-at",
    E,
    "`cron` and `at` are both given: a schedule has exactly one",
    "A schedule needs exactly one of `cron` (recurring) and `at` (one-shot).",
)
AT_INVALID = _code(
    "SYM208",
    "at-invalid",
    E,
    "{message}",
    "A one-shot time such as `2026-02-15T14:30:00Z`.",
)
AT_PAST = _code(
    "SYM209",
    "at-in-past",
    W,
    "one-shot time {value} has passed (now: {now})",
    "A warning, not an error, so that a committed one-shot that already fired never keeps CI red: a "
    "store that ran it keeps it completed; one that never did runs it once late within the catch-up "
    "window, else records it `missed`.",
)
BAD_TIMEZONE = _code(
    "SYM210",
    "bad-timezone",
    E,
    "unknown time zone `{zone}`",
    "Time zones are IANA names such as `Europe/Berlin` or `UTC`.",
)
BAD_DURATION = _code(
    "SYM211",
    "bad-duration",
    E,
    "{message}",
    'Durations are written like "90s", "5m", "1h30m", "2d".',
)
BAD_TIME_OF_DAY = _code(
    "SYM212",
    "bad-time-of-day",
    E,
    "`{name}` must be {expected}, got `{value}`",
    '`allowed_hours` bounds are "HH:MM" or a whole hour.',
)
ZERO_DURATION = _code(
    "SYM213",
    "zero-duration",
    E,
    "`{name}` must be longer than 0 seconds",
    "A run limited to no time at all could never succeed.",
)
WHOLE_DAY_WINDOW = _code(
    "SYM214",
    "whole-day-window",
    W,
    "`allowed_hours` start and end are both {time}: the window is the whole day",
    "Equal bounds wrap all the way round the clock, so the window restricts nothing.",
)
THUNDERING_HERD = _code(
    "SYM220",
    "thundering-herd",
    W,
    "{count} schedules fire in the same second, {when} UTC: {names}",
    "Over the coming week, more schedules than `[check] herd_threshold` (symbi.toml, default 20) start "
    "on one UTC instant after each zone is applied; jittered schedules count by their jitter window, and a "
    "`one_shot` cron once, at its first match.",
)

# --- SYM3xx: delivery -----------------------------------------------------------------------------
UNKNOWN_CHANNEL = _code(
    "SYM301",
    "unknown-channel",
    E,
    "unknown delivery channel `{name}`",
    "Built-in channels are stdout, log_file, webhook, slack and email; custom ones must be configured.",
)
WEBHOOK_NEEDS_URL = _code(
    "SYM302",
    "webhook-needs-url",
    E,
    "delivery `webhook` needs `webhook_url`",
    "The webhook channel has nowhere to POST to.",
)
EMAIL_NEEDS_RECIPIENTS = _code(
    "SYM303",
    "email-needs-recipients",
    E,
    "delivery `email` needs `email_recipients`",
    "The email channel has nobody to send to.",
)
SLACK_NEEDS_CHANNEL = _code(
    "SYM304",
    "slack-needs-channel",
    E,
    "delivery `slack` needs `slack_channel` (no default channel is configured)",
    "Give `slack_channel`, or `slack_default_channel` in `[scheduler.delivery]`.",
)
UNUSED_CHANNEL_CONFIG = _code(
    "SYM305",
    "unused-channel-config",
    W,
    "`{name}` is set but `{channel}` is not in `delivery`",
    "Configuration for a delivery channel the schedule does not use is ignored.",
)
DUPLICATE_CHANNEL = _code(
    "SYM306",
    "duplicate-channel",
    W,
    "delivery channel `{name}` is listed more than once",
    "Each channel receives the output once, however often it is listed.",
)
BAD_URL = _code(
    "SYM307",
    "bad-url",
    E,
    "`{name}` must be an http:// or https:// URL, got `{value}`",
    "Webhook and endpoint URLs are absolute http(s) URLs.",
)
BAD_EMAIL = _code(
    "SYM308",
    "bad-email",
    W,
    "`{value}` does not look like an email address",
    "Recipients are addresses such as `ops@example.com`.",
)

# --- SYM4xx: policy and identity ------------------------------------------------------------------
PIN_NEEDS_JWT = _code(
    "SYM401",
    "pin-needs-jwt",
    E,
    "`require_agent_pin` is true but the schedule has no `agent_pin_jwt`",
    "AgentPin verification needs the agent's credential.",
)
APPROVER_WITHOUT_APPROVAL = _code(
    "SYM402",
    "approver-without-approval",
    W,
    "`approver` is set but `require_approval` is not true",
    "Nobody is asked to approve runs unless `require_approval: true`.",
)
CAPABILITY_NOT_DECLARED = _code(
    "SYM403",
    "capability-not-declared",
    E,
    "agent `{agent}` does not declare capability `{capability}`: every run would be denied",
    "`policy.require_capabilities` must be a subset of the agent's `capabilities`.",
)

# --- SYM5xx: interpolation and secrets ------------------------------------------------------------
BAD_INTERPOLATION = _code(
    "SYM501",
    "bad-interpolation",
    E,
    "{message}",
    "`${VAR}` or `${VAR:-default}`; `$${` is a literal `${`.",
)
INTERPOLATION_NOT_ALLOWED = _code(
    "SYM502",
    "interpolation-not-allowed",
    E,
    "`${{…}}` is not allowed in `{name}`",
    "Names, references, schedules and enum values are fixed at check time; only value fields interpolate.",
)
UNSET_VARIABLE = _code(
    "SYM503",
    "unset-variable",
    W,
    "environment variable `{name}` is not set",
    "The reference is resolved when the job runs; it fails then unless the variable is set.",
)
LITERAL_SECRET_HEADER = _code(
    "SYM504",
    "literal-secret-header",
    W,
    "header `{header}` holds a literal secret",
    "Secrets in files end up in version control; use a `${VAR}` reference.",
)
LITERAL_AGENT_PIN = _code(
    "SYM505",
    "literal-agent-pin",
    W,
    "`agent_pin_jwt` holds a literal token",
    "Credentials in files end up in version control; use a `${VAR}` reference.",
)
LITERAL_URL_CREDENTIAL = _code(
    "SYM506",
    "literal-url-credential",
    W,
    "`{name}` carries a literal credential ({what})",
    "A URL with a password or a token in it is a secret; keep it in a `${VAR}` reference.",
)

SHELL_STYLE_VARIABLE = _code(
    "SYM507",
    "shell-style-variable",
    W,
    "`${name}` is not interpolated: write `${{{name}}}`",
    "Only `${VAR}` references are resolved; `$VAR` is sent as those characters.",
)

# --- SYM6xx: heartbeat and sessions ---------------------------------------------------------------
HEARTBEAT_NEEDS_CRON = _code(
    "SYM601",
    "heartbeat-needs-cron",
    E,
    "a heartbeat needs a recurring `cron` schedule, not `at`",
    "A heartbeat wakes on every cron fire; a one-shot job cannot beat.",
)

# --- SYM7xx: cross-file (names, agents) -----------------------------------------------------------
DUPLICATE_SCHEDULE = _code(
    "SYM701",
    "duplicate-schedule",
    E,
    "schedule `{name}` is defined more than once",
    "Schedule names are unique across every file checked together.",
)
DUPLICATE_AGENT = _code(
    "SYM702",
    "duplicate-agent",
    E,
    "agent `{name}` is defined more than once",
    "Agent names are unique across every file checked together.",
)
AGENT_NOT_DEFINED = _code(
    "SYM703",
    "agent-not-defined",
    I,
    "agent `{name}` is not defined in the checked files",
    "It must be registered with the runtime in-process (or defined in another file). Reported once "
    "per agent name, at its first use, with the number of schedules that use it.",
)
AGENT_LIKELY_TYPO = _code(
    "SYM704",
    "agent-likely-typo",
    W,
    "agent `{name}` is not defined; did you mean `{guess}`?",
    "A schedule names an agent no checked file defines while a defined agent has a close name: "
    "most likely a typo, and every fire would fail. A warning, so `--strict` fails on it.",
)

# --- SYM9xx: input/output -------------------------------------------------------------------------
FILE_NOT_FOUND = _code("SYM901", "file-not-found", E, "no such file or directory: {path}")
FILE_UNREADABLE = _code("SYM902", "file-unreadable", E, "cannot read {path}: {reason}")
NOT_UTF8 = _code("SYM903", "not-utf8", E, "{path} is not valid UTF-8 text")
NO_FILES = _code("SYM904", "no-files", W, "no .symbi files found under {path}")

# --- upstream Symbiont's dialect (issue 11): SYM020–039, SYM120–139, SYM309–319, SYM404–419 ---------
UPSTREAM_SYNTAX = _code(
    "SYM020",
    "upstream-syntax",
    E,
    "{what}",
    "An item of upstream Symbiont's dialect (`metadata`, `function`, `agent NAME(…)`, …) is malformed.",
)
UPSTREAM_SCHEDULE_SHAPE = _code(
    "SYM021",
    "upstream-schedule-shape",
    E,
    "an upstream-dialect schedule takes only `key = scalar` or `key: scalar` entries; {what}",
    "Upstream schedules hold scalars only (no lists, maps or nested blocks); write our dialect instead.",
)
UPSTREAM_DIALECT = _code(
    "SYM022",
    "upstream-dialect",
    I,
    "schedule `{name}` is read in upstream Symbiont's dialect: {reason}",
    "Says which dialect rule made a schedule upstream; `symbi fmt --migrate` rewrites it into ours.",
)
BLOCK_COMMENT = _code(
    "SYM023",
    "block-comment",
    E,
    "`/* … */` comments are not part of the language",
    "Only `//` and `#` line comments exist (upstream Symbiont rejects `/*` too).",
)
UNKNOWN_POLICY_RULE = _code(
    "SYM024",
    "unknown-policy-rule",
    E,
    "unknown policy rule `{name}`",
    "An upstream `policy NAME { … }` holds `allow:`, `deny:`, `require:` and `audit:` rules.",
)
UPSTREAM_UNKNOWN_KEY = _code(
    "SYM120",
    "upstream-unknown-key",
    W,
    "`{key}` is not an upstream schedule key: upstream ignores it silently, and so does symbi",
    "Upstream schedules know cron, at, timezone, agent, policy, one_shot, deliver and audit.",
)
UPSTREAM_DUPLICATE_KEY = _code(
    "SYM121",
    "upstream-duplicate-key",
    W,
    "`{key}` is given more than once: the last one is used, as upstream does",
)
ONE_SHOT_WITHOUT_CRON = _code(
    "SYM122",
    "one-shot-without-cron",
    E,
    "`one_shot` applies only to a `cron` schedule: an `at` schedule always fires once",
    "`one_shot: true` with `cron` fires once, at the first cron match after the job is loaded, then "
    "completes. An `at` schedule fires once already, and `one_shot: false` cannot make it repeat.",
)
UPSTREAM_WRONG_TYPE = _code(
    "SYM123",
    "upstream-wrong-type",
    E,
    "`{key}` must be {expected} in an upstream schedule, got {got}",
)
DELIVER_UNMAPPABLE = _code(
    "SYM309",
    "deliver-unmappable",
    E,
    "cannot map `deliver: {value}` onto a delivery channel",
    "`deliver` maps `slack://CHANNEL`, `webhook://URL`, `email://ADDRESS[,…]`, `stdout` and `log_file`.",
)
POLICY_NOT_ENFORCED = _code(
    "SYM404",
    "upstream-policy-not-enforced",
    I,
    "upstream policy `{policy}` is parsed and shown, not enforced: symbi's scheduler does not evaluate "
    "its rules before runs of `{schedule}`",
    "Upstream `allow/deny/require/audit` rules are kept for reading; only `policy { … }` fields of our "
    "dialect gate runs.",
)
POLICY_ID_UNKNOWN = _code(
    "SYM405",
    "upstream-policy-unknown",
    W,
    "no `policy {policy}` block in the checked files",
    "The runtime may know the policy id; symbi does not enforce upstream policies either way.",
)
AUDIT_IGNORED = _code(
    "SYM406",
    "upstream-audit-ignored",
    W,
    "`audit = {value}` is ignored: symbi's audit log always records every scheduling decision",
)
BAD_AUDIT = _code(
    "SYM407",
    "upstream-bad-audit",
    E,
    "`audit` must be `none`, `errors_only` or `all_operations`, got {value}",
)

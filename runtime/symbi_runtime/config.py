"""Runtime configuration: `symbi.toml` `[scheduler]` (+ `.delivery`, `.agentpin`) and `SYMBI_*` overrides.

`load_config(path, env)` builds one typed `Config`. `${VAR}` is allowed in every value: scheduler
values (numbers, paths, names) are resolved at load time; delivery strings stay `${VAR}` references
that channels resolve at send time, so tokens and passwords never sit resolved in a Config (or a log).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from symbi_runtime.delivery.settings import DeliverySettings

_T = TypeVar("_T")

DEFAULT_DB_PATH = Path(".symbi/symbi.db")
DEFAULT_CONFIG_FILE = "symbi.toml"


class ConfigError(Exception):
    """A configuration file or value that cannot be used; the message names the file and key."""


@dataclass(frozen=True, slots=True)
class AgentPinSettings:
    """Where AgentPin verification gets its expectations and keys (`[scheduler.agentpin]`)."""

    domain: str | None = None
    discovery_dir: Path | None = None
    trust_bundle: Path | None = None
    audience: str | None = None
    required: bool = False


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    """The `[scheduler]` table (spec keys plus our additions); every value has a default."""

    tick_interval_seconds: float = 1.0
    max_concurrent_jobs: int = 100
    job_store: str = "sqlite"
    # A file path (SQLite) or a postgresql:// URL: kept as written (a Path would fold `//`).
    job_store_path: str | None = None
    enable_metrics: bool = True
    metrics_port: int | None = None
    health_check_interval_seconds: float = 30.0
    shutdown_timeout_seconds: float = 60.0
    max_jitter_seconds: float = 0.0
    default_max_retries: int = 3
    enable_missed_run_catchup: bool = True
    # Missed fires older than this are recorded `missed`, whatever the job's catch-up policy says.
    catchup_window_seconds: float = 3600.0
    # `catchup: "all"` replays at most this many missed fires (the most recent ones).
    catchup_max_runs: int = 10
    # A catch-up run is not started when the next regular fire is due within this many seconds: that
    # fire runs on time instead (a late run still in flight would make it `skipped`); 0 turns it off.
    catchup_skip_within_seconds: float = 60.0
    # An `awaiting_approval` run not decided within this time expires to `missed`.
    approval_timeout_seconds: float = 86400.0
    environment: str | None = None
    log_dir: Path = Path(".symbi/logs")
    # Retention (pruned in the background, and by `symbi cron prune`): runs older than this many days
    # go, except the newest `retention_runs_keep_last` of each job; audit events have their own, longer
    # limit. 0 days keeps that history forever.
    retention_runs_days: float = 90.0
    retention_runs_keep_last: int = 100
    retention_audit_days: float = 365.0
    retention_interval_seconds: float = 300.0
    # PostgreSQL only: a node that has not renewed its lease for this long is dead (its running runs
    # become `abandoned`, its claimed-but-unstarted runs go to the other nodes).
    node_lease_ttl_seconds: float = 5.0

    @property
    def tick_interval(self) -> float:
        return self.tick_interval_seconds


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the runtime is configured with, built in one place by `load_config`."""

    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    agentpin: AgentPinSettings = field(default_factory=AgentPinSettings)
    source: Path | None = None


# Spec spellings and short forms accepted for a key (file and SYMBI_SCHEDULER_*).
_SCHEDULER_ALIASES: dict[str, str] = {
    "tick_interval": "tick_interval_seconds",
    "max_concurrent_cron_jobs": "max_concurrent_jobs",
    "max_concurrent": "max_concurrent_jobs",
    "max_jitter": "max_jitter_seconds",
    "shutdown_timeout": "shutdown_timeout_seconds",
    "health_check_interval": "health_check_interval_seconds",
    "catchup_window": "catchup_window_seconds",
    "catchup_skip_within": "catchup_skip_within_seconds",
    "approval_timeout": "approval_timeout_seconds",
}
_DELIVERY_ALIASES: dict[str, str] = {"webhook_timeout": "webhook_timeout_seconds"}
# Delivery strings that are resolved at send time (they may hold secrets).
_LATE_RESOLVED = {
    "webhook_auth_header",
    "slack_api_token",
    "slack_webhook_url",
    "slack_default_channel",
    "smtp_host",
    "smtp_username",
    "smtp_password",
    "email_from",
}


def load_config(path: str | Path | None, env: Mapping[str, str]) -> Config:
    """Read `path` (or `./symbi.toml` when it exists and `path` is None), then apply `SYMBI_*` overrides."""
    source: Path | None = None
    data: dict[str, Any] = {}
    if path is not None:
        source = Path(path)
        if source.is_dir():
            raise ConfigError(f"{source}: is a directory, not a configuration file")
        if not source.is_file():
            raise ConfigError(f"{source}: configuration file not found")
    elif Path(DEFAULT_CONFIG_FILE).is_file():
        source = Path(DEFAULT_CONFIG_FILE)
    if source is not None:
        import tomllib  # only when there is a file to read: most commands run without one

        try:
            data = tomllib.loads(source.read_text(encoding="utf-8"))
        except OSError as e:
            raise ConfigError(f"{source}: cannot read: {e.strerror or e}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{source}: not UTF-8 text") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{source}: invalid TOML: {e}") from None
    where = str(source) if source else "configuration"
    table = data.get("scheduler", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [scheduler] must be a table")
    table = dict(table)
    delivery_table = table.pop("delivery", {})
    agentpin_table = table.pop("agentpin", {})
    for name, sub in (("scheduler.delivery", delivery_table), ("scheduler.agentpin", agentpin_table)):
        if not isinstance(sub, dict):
            raise ConfigError(f"{where}: [{name}] must be a table")

    scheduler = _build(SchedulerConfig, table, _SCHEDULER_ALIASES, where, "scheduler", env, set())
    delivery = _build(
        DeliverySettings, delivery_table, _DELIVERY_ALIASES, where, "scheduler.delivery", env, _LATE_RESOLVED
    )
    agentpin = _build(AgentPinSettings, agentpin_table, {}, where, "scheduler.agentpin", env, set())

    scheduler, delivery, agentpin = _apply_env(scheduler, delivery, agentpin, env)
    if scheduler.log_dir != SchedulerConfig().log_dir and "log_dir" not in delivery_table:
        delivery = replace(delivery, log_dir=scheduler.log_dir)
    _validate(scheduler, where)
    return Config(scheduler=scheduler, delivery=delivery, agentpin=agentpin, source=source)


# --- building typed values ------------------------------------------------------------------------


def _build(
    cls: type[_T],
    table: Mapping[str, Any],
    aliases: Mapping[str, str],
    where: str,
    section: str,
    env: Mapping[str, str],
    late: set[str],
) -> _T:
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for raw_key, raw in table.items():
        key = aliases.get(raw_key, raw_key)
        if key not in known:
            hint = _did_you_mean(raw_key, list(known))
            raise ConfigError(f"{where}: [{section}] unknown key {raw_key!r}{hint}")
        values[key] = _coerce(raw, str(known[key].type), where, f"{section}.{raw_key}", env, key in late)
    return cls(**values)


def _coerce(raw: Any, type_text: str, where: str, key: str, env: Mapping[str, str], late: bool) -> Any:
    """Convert a TOML (or environment) value to the field's type, resolving `${VAR}` unless `late`."""
    if isinstance(raw, str) and not late:
        # Imported here: a command run without a configuration file (most) never resolves a value.
        from symbi_lang.interpolation import UnresolvedVariable, resolve

        try:
            raw = resolve(raw, env)
        except UnresolvedVariable as e:
            raise ConfigError(f"{where}: {key}: {e}") from None
    base = type_text.replace(" | None", "").strip()
    optional = "None" in type_text
    try:
        if optional and (raw is None or raw == ""):
            return None
        if base == "bool":
            return _to_bool(raw)
        if base == "int":
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            return int(raw)
        if base == "float":
            if isinstance(raw, bool):
                raise ValueError
            return float(raw)
        if base == "Path":
            if not isinstance(raw, str) or not raw:
                raise ValueError
            return Path(raw)
        if base == "tuple[str, ...]":
            if isinstance(raw, str):
                raw = [h.strip() for h in raw.split(",") if h.strip()]
            if not isinstance(raw, list) or not all(isinstance(v, str) and v for v in raw):
                raise ValueError
            return tuple(raw)
        if base == "str":
            if not isinstance(raw, str | int | float) or isinstance(raw, bool):
                raise ValueError
            return str(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {key}: expected {_describe(base)}, got {raw!r}") from None
    return raw


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(raw, str) and raw.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError


def _describe(base: str) -> str:
    return {
        "bool": "true or false",
        "int": "an integer",
        "float": "a number",
        "Path": "a path",
        "str": "a string",
        "tuple[str, ...]": "a list of strings",
    }.get(base, base)


def _did_you_mean(key: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _apply_env(
    scheduler: SchedulerConfig, delivery: DeliverySettings, agentpin: AgentPinSettings, env: Mapping[str, str]
) -> tuple[SchedulerConfig, DeliverySettings, AgentPinSettings]:
    """Apply `SYMBI_SCHEDULER_<KEY>` (key or alias), `SYMBI_ENVIRONMENT`, `SYMBI_AGENTPIN_*`, Slack token."""
    known = {f.name: f for f in fields(SchedulerConfig)}
    by_env: dict[str, str] = {name.upper(): name for name in known}
    by_env.update({alias.upper(): target for alias, target in _SCHEDULER_ALIASES.items()})
    changes: dict[str, Any] = {}
    for var, value in env.items():
        if not var.startswith("SYMBI_SCHEDULER_"):
            continue
        suffix = var.removeprefix("SYMBI_SCHEDULER_")
        target = by_env.get(suffix)
        if target is None:
            raise ConfigError(
                f"environment: {var}: unknown scheduler setting" + _did_you_mean(suffix.lower(), list(known))
            )
        changes[target] = _coerce(value, str(known[target].type), "environment", var, env, False)
    if env.get("SYMBI_ENVIRONMENT"):
        changes["environment"] = env["SYMBI_ENVIRONMENT"]
    scheduler = replace(scheduler, **changes)

    pin_changes: dict[str, Any] = {}
    if env.get("SYMBI_AGENTPIN_DOMAIN"):
        pin_changes["domain"] = env["SYMBI_AGENTPIN_DOMAIN"]
    if env.get("SYMBI_AGENTPIN_REQUIRED"):
        try:
            pin_changes["required"] = _to_bool(env["SYMBI_AGENTPIN_REQUIRED"])
        except ValueError:
            raise ConfigError(
                "environment: SYMBI_AGENTPIN_REQUIRED: expected true or false, "
                f"got {env['SYMBI_AGENTPIN_REQUIRED']!r}"
            ) from None
    for var, key in (
        ("SYMBI_AGENTPIN_DISCOVERY_DIR", "discovery_dir"),
        ("SYMBI_AGENTPIN_TRUST_BUNDLE", "trust_bundle"),
    ):
        if env.get(var):
            pin_changes[key] = Path(env[var])
    agentpin = replace(agentpin, **pin_changes)

    # Kept as references: the channels resolve them from the environment when they send.
    if env.get("SYMBI_SLACK_TOKEN") and delivery.slack_api_token is None:
        delivery = replace(delivery, slack_api_token="${SYMBI_SLACK_TOKEN}")
    if env.get("SYMBI_WEBHOOK_AUTH_HEADER") and delivery.webhook_auth_header is None:
        delivery = replace(delivery, webhook_auth_header="${SYMBI_WEBHOOK_AUTH_HEADER}")
    return scheduler, delivery, agentpin


def _validate(s: SchedulerConfig, where: str) -> None:
    def bad(key: str, why: str) -> ConfigError:
        return ConfigError(f"{where}: scheduler.{key}: {why}")

    if s.tick_interval_seconds <= 0:
        raise bad("tick_interval_seconds", "must be greater than 0")
    if s.max_concurrent_jobs < 1:
        raise bad("max_concurrent_jobs", "must be at least 1")
    if s.job_store not in ("sqlite", "postgresql"):
        raise bad("job_store", f"unsupported job store {s.job_store!r} (use 'sqlite' or 'postgresql')")
    for key in (
        "shutdown_timeout_seconds",
        "max_jitter_seconds",
        "catchup_window_seconds",
        "catchup_skip_within_seconds",
        "retention_runs_days",
        "retention_audit_days",
        "approval_timeout_seconds",
        "health_check_interval_seconds",
    ):
        if getattr(s, key) < 0:
            raise bad(key, "must not be negative")
    if s.node_lease_ttl_seconds <= 0:
        raise bad("node_lease_ttl_seconds", "must be greater than 0")
    if s.default_max_retries < 0:
        raise bad("default_max_retries", "must not be negative")
    if s.retention_runs_keep_last < 1:
        raise bad("retention_runs_keep_last", "must be at least 1")
    if s.retention_interval_seconds <= 0:
        raise bad("retention_interval_seconds", "must be greater than 0")
    if s.catchup_max_runs < 1:
        raise bad("catchup_max_runs", "must be at least 1")
    if s.metrics_port is not None and not 0 <= s.metrics_port <= 65535:
        raise bad("metrics_port", "must be between 0 and 65535")

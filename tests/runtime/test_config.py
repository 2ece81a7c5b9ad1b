"""symbi.toml loading, `${VAR}` handling, SYMBI_* overrides and database path resolution."""

from __future__ import annotations

from pathlib import Path

import pytest
from symbi_runtime.config import Config, ConfigError, SchedulerConfig, load_config
from symbi_runtime.store import resolve_location

SPEC_TOML = """
[scheduler]
tick_interval_seconds = 1
max_jitter_seconds = 30
max_concurrent_jobs = 20
enable_metrics = true
default_max_retries = 3
shutdown_timeout_seconds = 60

[scheduler.delivery]
webhook_timeout_seconds = 30
webhook_retry_attempts = 3
slack_api_token = "${SLACK_API_TOKEN}"
slack_default_channel = "#ops"
smtp_host = "smtp.example.com"
smtp_port = 587
smtp_username = "${SMTP_USER}"
smtp_password = "${SMTP_PASS}"
email_from = "symbiont@example.com"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "symbi.toml"
    p.write_text(text)
    return p


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, {})
    assert config.scheduler == SchedulerConfig()
    assert config.scheduler.max_concurrent_jobs == 100
    assert config.source is None


def test_spec_example_loads_and_secrets_stay_references(tmp_path: Path) -> None:
    env = {"SLACK_API_TOKEN": "xoxb-secret", "SMTP_PASS": "hunter22"}
    config = load_config(write(tmp_path, SPEC_TOML), env)
    s = config.scheduler
    assert (s.tick_interval_seconds, s.max_jitter_seconds, s.max_concurrent_jobs) == (1.0, 30.0, 20)
    assert (s.default_max_retries, s.shutdown_timeout_seconds) == (3, 60.0)
    d = config.delivery
    assert d.slack_api_token == "${SLACK_API_TOKEN}"
    assert d.smtp_password == "${SMTP_PASS}"
    assert d.smtp_port == 587 and d.webhook_retry_attempts == 3
    assert "hunter22" not in repr(config) and "xoxb-secret" not in repr(config)


def test_local_symbi_toml_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "[scheduler]\nmax_concurrent_jobs = 7\n")
    monkeypatch.chdir(tmp_path)
    assert load_config(None, {}).scheduler.max_concurrent_jobs == 7


def test_variables_in_scheduler_values_resolve_at_load(tmp_path: Path) -> None:
    p = write(tmp_path, '[scheduler]\nmetrics_port = "${PORT}"\nenvironment = "${ENV:-staging}"\n')
    config = load_config(p, {"PORT": "9100"})
    assert config.scheduler.metrics_port == 9100
    assert config.scheduler.environment == "staging"
    with pytest.raises(
        ConfigError, match=r"symbi.toml: scheduler.metrics_port: environment variable PORT is not set"
    ):
        load_config(p, {})


def test_env_overrides_and_spec_aliases(tmp_path: Path) -> None:
    p = write(tmp_path, "[scheduler]\nmax_jitter_seconds = 5\n")
    env = {
        "SYMBI_SCHEDULER_MAX_JITTER": "30",
        "SYMBI_SCHEDULER_MAX_CONCURRENT": "20",
        "SYMBI_SCHEDULER_CATCHUP_WINDOW_SECONDS": "120",
        "SYMBI_ENVIRONMENT": "production",
        "SYMBI_AGENTPIN_DOMAIN": "agent.example.com",
        "SYMBI_AGENTPIN_REQUIRED": "true",
        "SYMBI_SLACK_TOKEN": "xoxb-1",
        "SYMBI_WEBHOOK_AUTH_HEADER": "Bearer secret-token",
    }
    config = load_config(p, env)
    assert config.scheduler.max_jitter_seconds == 30.0
    assert config.scheduler.max_concurrent_jobs == 20
    assert config.scheduler.catchup_window_seconds == 120.0
    assert config.scheduler.environment == "production"
    assert config.agentpin.domain == "agent.example.com" and config.agentpin.required
    assert config.delivery.slack_api_token == "${SYMBI_SLACK_TOKEN}"
    assert config.delivery.webhook_auth_header == "${SYMBI_WEBHOOK_AUTH_HEADER}"
    assert "secret-token" not in repr(config)


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        (
            "[scheduler]\nmax_concurent_jobs = 3\n",
            {},
            r"unknown key 'max_concurent_jobs' \(did you mean 'max_concurrent_jobs'\?\)",
        ),
        (
            '[scheduler]\nmax_concurrent_jobs = "many"\n',
            {},
            r"scheduler.max_concurrent_jobs: expected an integer, got 'many'",
        ),
        ("[scheduler]\nmax_concurrent_jobs = 0\n", {}, r"scheduler.max_concurrent_jobs: must be at least 1"),
        ("[scheduler]\ntick_interval_seconds = -1\n", {}, r"tick_interval_seconds: must be greater than 0"),
        ('[scheduler]\njob_store = "postgres"\n', {}, r"unsupported job store 'postgres'"),
        ("[scheduler]\nenable_metrics = 3\n", {}, r"enable_metrics: expected true or false"),
        ("[scheduler\n", {}, r"invalid TOML"),
        ("scheduler = 3\n", {}, r"\[scheduler\] must be a table"),
        ("[scheduler.delivery]\nsmtp_port = 1.5\n", {}, r"scheduler.delivery.smtp_port: expected an integer"),
        ("", {"SYMBI_SCHEDULER_NOPE": "1"}, r"SYMBI_SCHEDULER_NOPE: unknown scheduler setting"),
        ("", {"SYMBI_SCHEDULER_MAX_JITTER": "soon"}, r"SYMBI_SCHEDULER_MAX_JITTER: expected a number"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path: Path, text: str, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text), env)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.toml", {})


def test_db_path_precedence(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[scheduler]\njob_store_path = "cfg.db"\n'), {})
    assert resolve_location("cli.db", config, {"SYMBI_DB": "env.db"}).path == Path("cli.db")
    assert resolve_location(None, config, {"SYMBI_DB": "env.db"}).path == Path("env.db")
    assert resolve_location(None, config, {}).path == Path("cfg.db")
    assert resolve_location(None, Config(), {}).path == Path(".symbi/symbi.db")


def test_log_dir_flows_into_delivery_settings(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[scheduler]\nlog_dir = "logs"\n'), {})
    assert config.delivery.log_dir == Path("logs")

"""What checks may know beyond the text."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class CheckContext:
    """Environment, strictness, the time, configured defaults.

    `env` supplies `${VAR}` values (the CLI passes the process environment plus `--env-file`);
    `strict` turns unset variables into errors; `now` (aware; None = the real time) decides whether an
    `at` is in the past; `custom_channels` are delivery channels registered with the runtime (a set that
    may be computed on first use); `slack_default_channel` says a default Slack channel is configured;
    `herd_threshold` is how many schedules may start on one second (`[check] herd_threshold`, 0 = never
    warn) and `default_jitter_seconds` the runtime's `max_jitter` for schedules without their own `jitter`.
    """

    env: Mapping[str, str] = field(default_factory=dict)
    strict: bool = False
    now: datetime | None = None
    custom_channels: Set[str] = frozenset()
    slack_default_channel: bool = False
    herd_threshold: int = 20
    default_jitter_seconds: float = 0.0

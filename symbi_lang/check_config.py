"""What a `symbi.toml` tells the checks: the herd threshold, the runtime's default jitter, a Slack default.

`symbi check` and the language server read the same file through this one function, so a workspace's
`[check] herd_threshold` means the same in the terminal and in the editor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from symbi_lang.checks.context import CheckContext


class CheckConfigError(ValueError):
    """A value in symbi.toml the checks cannot use (the message names the key)."""


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """The checks' settings from symbi.toml (defaults where a key is absent)."""

    herd_threshold: int = CheckContext.herd_threshold
    default_jitter_seconds: float = CheckContext.default_jitter_seconds
    slack_default_channel: bool = False


def check_settings(data: Mapping[str, Any]) -> CheckSettings:
    """The settings in a parsed symbi.toml; raises CheckConfigError for a bad `[check] herd_threshold`."""
    defaults = CheckSettings()
    table = data.get("check", {})
    threshold: object = None
    if isinstance(table, dict):
        threshold = table.get("herd_threshold", defaults.herd_threshold)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        raise CheckConfigError("[check] herd_threshold must be a whole number >= 0 (0 turns the check off)")
    scheduler = data.get("scheduler", {})
    jitter: object = 0.0
    slack = False
    if isinstance(scheduler, dict):
        jitter = scheduler.get("max_jitter_seconds", scheduler.get("max_jitter", 0.0))
        delivery = scheduler.get("delivery", {})
        slack = isinstance(delivery, dict) and bool(delivery.get("slack_default_channel"))
    if isinstance(jitter, bool) or not isinstance(jitter, int | float) or jitter < 0:
        jitter = 0.0  # the runtime reports a bad value when it loads the configuration
    return CheckSettings(threshold, float(jitter), slack)

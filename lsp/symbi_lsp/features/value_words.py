"""Words offered for a field's value beyond the schema's enums: time zones, cron presets with their
reading, delivery channels (built-in and installed as `symbi.delivery` entry points), and the runtime
environment names the workspace already uses (`allowed_environments`)."""

from __future__ import annotations

from collections.abc import Mapping

from lsprotocol import types

from symbi_lang.ast import ListValue, StringValue
from symbi_lsp.documents import WorkspaceAnalysis
from symbi_lsp.features.zones import zone_items

#: Cron macros and common expressions (seconds first); the detail shows how symbi reads each.
CRON_PRESETS: tuple[str, ...] = (
    "@hourly",
    "@daily",
    "@weekly",
    "@monthly",
    "@yearly",
    "0 */5 * * * *",
    "0 */15 * * * *",
    "0 0 * * * *",
    "0 0 9 * * 1-5",
    "0 0 0 * * *",
    "0 0 2 * * 0",
    "0 0 0 1 * *",
)

#: Environment names offered even before the workspace uses any.
COMMON_ENVIRONMENTS: tuple[str, ...] = ("production", "staging", "development")


def value_word_items(
    container: tuple[str, ...],
    name: str,
    typed: str,
    range_: types.Range | None,
    analysis: WorkspaceAnalysis,
    env: Mapping[str, str],
) -> list[types.CompletionItem] | None:
    """Items for `name`'s value, or None when this module has nothing special for that field."""
    if container == ("schedule",) and name == "timezone":
        return zone_items(typed, range_)
    if container == ("schedule",) and name == "cron":
        return [_word(p, _reading(p), range_) for p in CRON_PRESETS]
    if container == ("schedule",) and name == "delivery":
        return [_word(c, detail, range_) for c, detail in delivery_channels()]
    if container == ("schedule", "policy") and name == "allowed_environments":
        return [_word(e, "runtime environment", range_) for e in known_environments(analysis, env)]
    return None


def known_environments(analysis: WorkspaceAnalysis, env: Mapping[str, str]) -> list[str]:
    """Environment names in the workspace's `allowed_environments`, the configured one, common ones."""
    found: set[str] = set(COMMON_ENVIRONMENTS)
    if env.get("SYMBI_ENVIRONMENT"):
        found.add(env["SYMBI_ENVIRONMENT"])
    for doc in analysis.documents.values():
        for schedule in doc.module.schedules:
            policy = schedule.block("policy")
            entry = policy.field("allowed_environments") if policy is not None else None
            if entry is not None and isinstance(entry.value, ListValue):
                found.update(
                    v.value for v in entry.value.items if isinstance(v, StringValue) and "${" not in v.value
                )
    return sorted(found)


def delivery_channels() -> list[tuple[str, str]]:
    """(name, what it is) for the built-in channels, then those installed packages register."""
    from importlib.metadata import entry_points

    from symbi_lang.schema import DELIVERY_CHANNELS

    found = [(c, "built-in delivery channel") for c in DELIVERY_CHANNELS]
    installed = sorted(
        (ep.name, ep.value) for ep in entry_points(group="symbi.delivery") if ep.name not in DELIVERY_CHANNELS
    )
    found += [(name, f"installed delivery channel ({value})") for name, value in installed]
    return found


def _reading(expression: str) -> str:
    from symbi_lang.cron import CronError, CronSpec

    try:
        return CronSpec.parse(expression).describe()
    except CronError:  # pragma: no cover - the presets are valid
        return ""


def _word(word: str, detail: str, range_: types.Range | None) -> types.CompletionItem:
    return types.CompletionItem(
        label=word,
        kind=types.CompletionItemKind.Value,
        detail=detail,
        text_edit=types.TextEdit(range=range_, new_text=word) if range_ is not None else None,
        insert_text=None if range_ is not None else f'"{word}"',
    )

"""Upstream schedules and agents as the blocks our checks and lowering read.

An upstream `schedule NAME { … }` becomes the schedule block our dialect would write for it: `agent`
(the schedule's name when absent, as upstream does), `cron`, `at`, `timezone`, `one_shot: true` beside
`cron` (beside `at` it says what `at` does anyway), and `deliver` mapped onto delivery channels. Keys with
no effect in symbi (`policy`, `audit`, unknown keys) are left out; the upstream checks say so. An upstream
agent contributes its name and `capabilities`.
"""

from __future__ import annotations

from dataclasses import dataclass

from symbi_lang.ast import Block, BoolValue, ErrorValue, Field, IdentValue, ListValue, StringValue, Value
from symbi_lang.span import Span
from symbi_lang.upstream.nodes import Opaque, UpstreamEntry, UpstreamItem

#: The schedule keys upstream knows.
SCHEDULE_KEYS = ("cron", "at", "timezone", "agent", "policy", "one_shot", "deliver", "audit")
AUDIT_LEVELS = ("none", "errors_only", "all_operations")


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a `deliver` string means in our dialect: a channel and the field that configures it."""

    channel: str
    setting: str | None = None  # "slack_channel", "webhook_url" or "email_recipients"
    values: tuple[str, ...] = ()


def map_deliver(text: str) -> Delivery | None:
    """`slack://chan`, `webhook://URL`, `https://URL`, `email://a@b[,c@d]`, `stdout`, `log_file`, or None."""
    target = text.strip()
    if target in ("stdout", "log_file", "slack"):
        return Delivery(target)
    scheme, sep, rest = target.partition("://")
    if not sep:
        if target.startswith("mailto:"):
            return _email(target[len("mailto:") :])
        return None
    if scheme == "slack" and rest:
        return Delivery("slack", "slack_channel", (rest,))
    if scheme == "webhook" and rest:
        url = rest if rest.startswith(("http://", "https://")) else "https://" + rest
        return Delivery("webhook", "webhook_url", (url,))
    if scheme in ("http", "https") and rest:
        return Delivery("webhook", "webhook_url", (target,))
    if scheme in ("email", "mailto"):
        return _email(rest)
    return None


def _email(rest: str) -> Delivery | None:
    addresses = tuple(a.strip() for a in rest.split(",") if a.strip())
    if not addresses or not all("@" in a for a in addresses):
        return None
    return Delivery("email", "email_recipients", addresses)


def last_entries(item: UpstreamItem) -> dict[str, UpstreamEntry]:
    """Key → its last entry (upstream lets the last duplicate win)."""
    return {e.key: e for e in item.entries}


def scalar_text(value: Value | Opaque) -> str | None:
    """A string's or bare identifier's text."""
    if isinstance(value, StringValue):
        return value.value
    if isinstance(value, IdentValue):
        return value.name
    return None


def derived_schedule(item: UpstreamItem) -> Block:
    """The block our dialect reads for an upstream schedule."""
    last = last_entries(item)
    label = item.label or ""
    label_span = item.label_span or item.kind_span
    body: list[Field] = []
    agent = last.get("agent")
    if agent is None:
        body.append(Field(label_span, "agent", label_span, _string(label_span, label)))
    else:
        body.append(Field(agent.span, "agent", agent.key_span, _scalar(agent.value)))
    for key in ("cron", "at", "timezone"):
        entry = last.get(key)
        if entry is not None:
            body.append(Field(entry.span, key, entry.key_span, _scalar(entry.value)))
    one_shot = last.get("one_shot")
    if (
        one_shot is not None
        and "cron" in last
        and isinstance(one_shot.value, BoolValue)
        and one_shot.value.value
    ):
        body.append(Field(one_shot.span, "one_shot", one_shot.key_span, one_shot.value))
    deliver = last.get("deliver")
    text = None if deliver is None else scalar_text(deliver.value)
    mapped = None if text is None else map_deliver(text)
    if deliver is not None and mapped is not None:
        where = deliver.value.span
        body.append(
            Field(
                deliver.span,
                "delivery",
                deliver.key_span,
                ListValue(where, (_string(where, mapped.channel),)),
            )
        )
        if mapped.setting == "email_recipients":
            emails = ListValue(where, tuple(_string(where, a) for a in mapped.values))
            body.append(Field(deliver.span, mapped.setting, deliver.key_span, emails))
        elif mapped.setting is not None:
            body.append(
                Field(deliver.span, mapped.setting, deliver.key_span, _string(where, mapped.values[0]))
            )
    return Block(
        span=item.span,
        kind="schedule",
        kind_span=item.kind_span,
        label=item.label,
        label_span=item.label_span,
        body=tuple(body),
        recovered=item.recovered,
        origin=item,
    )


def derived_agent(item: UpstreamItem) -> Block:
    """The block our dialect reads for an upstream agent: its name and capabilities."""
    body: list[Field] = []
    caps = item.last("capabilities")
    if caps is not None and isinstance(caps.value, ListValue):
        items = tuple(_scalar(v) for v in caps.value.items)
        body.append(Field(caps.span, "capabilities", caps.key_span, ListValue(caps.value.span, items)))
    return Block(
        span=item.span,
        kind="agent",
        kind_span=item.kind_span,
        label=item.label,
        label_span=item.label_span,
        body=tuple(body),
        recovered=item.recovered,
        origin=item,
    )


def _scalar(value: Value | Opaque) -> Value:
    """Strings pass through; a bare identifier reads as the string it spells; anything else is left to the
    upstream checks (an error value, which our checks skip)."""
    if isinstance(value, StringValue):
        return value
    if isinstance(value, IdentValue):
        return _string(value.span, value.name)
    return ErrorValue(value.span)


def _string(span: Span, text: str) -> StringValue:
    return StringValue(span, text, '"' + text + '"', False, span.start.offset, False)

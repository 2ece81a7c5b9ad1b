"""Can every delivery channel of a schedule deliver: known channel, its settings given, no settings
for channels that are not used?"""

from __future__ import annotations

from collections.abc import Iterator

from symbi_lang import codes
from symbi_lang.ast import Block, IdentValue, ListValue, Module, StringValue
from symbi_lang.checks.context import CheckContext
from symbi_lang.checks.support import indent_of, insertion_at, replace_fix, suggest
from symbi_lang.diagnostics import Diagnostic, Fix, Related, TextEdit
from symbi_lang.schema import DELIVERY_CHANNELS

#: Channel → the schedule field that configures it.
CHANNEL_SETTINGS = {
    "webhook": ("webhook_url", "webhook_headers"),
    "slack": ("slack_channel",),
    "email": ("email_recipients",),
}


def check_delivery(module: Module, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Known channels, required settings per channel, unused settings, duplicates."""
    for item in module.items:
        if item.kind != "schedule":
            continue
        delivery = item.field("delivery")
        used: set[str] = set()
        if delivery is not None and isinstance(delivery.value, ListValue):
            seen: dict[str, StringValue | IdentValue] = {}
            for node in delivery.value.items:
                if not isinstance(node, (StringValue, IdentValue)):
                    continue
                name = node.value if isinstance(node, StringValue) else node.name
                if name in seen:
                    yield codes.DUPLICATE_CHANNEL.at(
                        node.span,
                        name=name,
                        help="remove the repeated entry",
                        related=(Related(seen[name].span, "first listed here"),),
                    )
                    continue
                seen[name] = node
                used.add(name)
                # Built-in names first: the installed channels are looked up only for a name that is
                # not built in (finding them scans every installed distribution).
                if name not in DELIVERY_CHANNELS and name not in ctx.custom_channels and "${" not in name:
                    yield _unknown_channel(node, name, (*DELIVERY_CHANNELS, *sorted(ctx.custom_channels)))
            yield from _required_settings(module, item, seen, ctx)
        if delivery is None or isinstance(delivery.value, ListValue):
            for channel, settings in CHANNEL_SETTINGS.items():
                if channel in used:
                    continue
                for setting in settings:
                    f = item.field(setting)
                    if f is not None:
                        yield codes.UNUSED_CHANNEL_CONFIG.at(
                            f.name_span,
                            name=setting,
                            channel=channel,
                            help=f'add "{channel}" to `delivery`, or remove `{setting}`',
                        )


def _unknown_channel(node: StringValue | IdentValue, name: str, known: tuple[str, ...]) -> Diagnostic:
    guess = suggest(name, known)
    listing = ", ".join(f"`{k}`" for k in known)
    if guess is None:
        return codes.UNKNOWN_CHANNEL.at(
            node.span,
            name=name,
            help=f"channels: {listing}; custom channels must be registered with the runtime",
        )
    return codes.UNKNOWN_CHANNEL.at(
        node.span,
        name=name,
        help=f"did you mean `{guess}`? (channels: {listing})",
        fixes=replace_fix(
            node.span, f'"{guess}"' if isinstance(node, StringValue) else guess, f"Change to `{guess}`"
        ),
    )


def _required_settings(
    module: Module,
    item: Block,
    used: dict[str, StringValue | IdentValue],
    ctx: CheckContext,
) -> Iterator[Diagnostic]:
    if "webhook" in used and item.field("webhook_url") is None:
        yield codes.WEBHOOK_NEEDS_URL.at(
            used["webhook"].span,
            help='add `webhook_url: "${WEBHOOK_URL}"` (or the URL itself)',
            fixes=(_insert_after_delivery(module, item, 'webhook_url: "${WEBHOOK_URL}"'),),
        )
    if "email" in used and item.field("email_recipients") is None:
        yield codes.EMAIL_NEEDS_RECIPIENTS.at(
            used["email"].span,
            help='add `email_recipients: ["ops@example.com"]`',
        )
    if "slack" in used and item.field("slack_channel") is None and not ctx.slack_default_channel:
        yield codes.SLACK_NEEDS_CHANNEL.at(
            used["slack"].span,
            help='add `slack_channel: "#ops"`, or set `slack_default_channel` in `[scheduler.delivery]`',
        )


def _insert_after_delivery(module: Module, item: Block, line: str) -> Fix:
    delivery = item.field("delivery")
    assert delivery is not None
    indent = indent_of(module, delivery.span)
    text = f"\n{indent}{line}" if module.text else f" {line}"
    return Fix(f"Add `{line}`", (TextEdit(insertion_at(delivery.span), text),))

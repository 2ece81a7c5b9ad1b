"""The `slack` channel: `chat.postMessage` with a bot token, or an incoming webhook."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from symbi_lang.interpolation import UnresolvedVariable
from symbi_runtime.delivery.channel import failed, succeeded
from symbi_runtime.delivery.clock import DeliveryClock
from symbi_runtime.delivery.egress import egress_problem
from symbi_runtime.delivery.http_retry import PostOutcome, check_http_url, post_json
from symbi_runtime.delivery.message import DeliveryMessage, DeliveryReceipt
from symbi_runtime.delivery.redaction import Secrets, redact_url
from symbi_runtime.delivery.settings import DeliverySettings

# Slack truncates `text` at 40 000 characters and renders long messages poorly well before that.
MAX_OUTPUT_CHARS = 3000


def slack_text(message: DeliveryMessage) -> str:
    """The message text: a headline, the output in a code block (truncated), and the error if any."""
    lines = [f"*{_escape(message.job.name)}* run `{_escape(message.run_id)}` {_escape(message.status)}"]
    output = message.output.strip("\n")
    if output:
        if len(output) > MAX_OUTPUT_CHARS:
            output = output[:MAX_OUTPUT_CHARS] + f"\n… (truncated; {len(message.output)} characters in all)"
        lines.append(f"```{_escape(output)}```")
    if message.error:
        lines.append(f"Error: {_escape(message.error)}")
    return "\n".join(lines)


def _escape(text: str) -> str:
    # The three characters Slack's mrkdwn requires escaped; everything else passes through.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackChannel:
    """Uses `chat.postMessage` when `slack_api_token` is set (it can honour the job's channel),
    otherwise `slack_webhook_url`."""

    name = "slack"

    def __init__(self, clock: DeliveryClock) -> None:
        self._clock = clock

    async def deliver(
        self, message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str]
    ) -> DeliveryReceipt:
        secrets = Secrets()
        try:
            if settings.slack_api_token:
                return await self._post_api(message, settings, env, secrets)
            if settings.slack_webhook_url:
                return await self._post_webhook(message, settings, env, secrets)
        except UnresolvedVariable as exc:
            return failed(self.name, self._clock, str(exc))
        return failed(
            self.name,
            self._clock,
            "Slack is not configured: set slack_api_token or slack_webhook_url in [scheduler.delivery]",
        )

    async def _post_api(
        self, message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str], secrets: Secrets
    ) -> DeliveryReceipt:
        token = secrets.resolve(settings.slack_api_token or "", env, secret=True)
        base = secrets.resolve(settings.slack_api_base_url, env).rstrip("/")
        channel_template = message.job.slack_channel or settings.slack_default_channel
        if not channel_template:
            return failed(
                self.name,
                self._clock,
                f"no Slack channel for job {message.job.name!r}: "
                "set slack_channel on the job or slack_default_channel in [scheduler.delivery]",
            )
        channel = secrets.resolve(channel_template, env)
        url = f"{base}/chat.postMessage"
        problem = check_http_url(url) or egress_problem(url, settings.allowed_hosts, api_job=False)
        if problem:
            return failed(self.name, self._clock, f"slack_api_base_url {problem}")
        payload = {"channel": channel, "text": slack_text(message), "unfurl_links": False}
        outcome = await self._post(url, payload, {"Authorization": f"Bearer {token}"}, settings, secrets)
        response = outcome.response
        if response is None or response.status_code != 200:
            return self._failure(outcome, url, secrets)
        answer = _json_object(response)
        if answer is None:
            return self._failure(outcome, url, secrets, "Slack API answered HTTP 200 without a JSON object")
        if answer.get("ok") is not True:
            # Slack reports failures as HTTP 200 with `ok: false` and a short error code.
            code = str(answer.get("error") or "unknown_error")[:100]
            return self._failure(outcome, url, secrets, f"Slack API error: {code}")
        return succeeded(self.name, self._clock, f"posted to {channel}", attempts=outcome.attempts)

    async def _post_webhook(
        self, message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str], secrets: Secrets
    ) -> DeliveryReceipt:
        url = secrets.resolve(settings.slack_webhook_url or "", env, secret=True)
        # The whole incoming-webhook URL is the credential: its path must never be shown.
        secrets.add_url(url)
        problem = check_http_url(url) or egress_problem(url, settings.allowed_hosts, api_job=False)
        if problem:
            return failed(self.name, self._clock, f"slack_webhook_url {problem}")
        payload: dict[str, Any] = {"text": slack_text(message)}
        if message.job.slack_channel:
            # Legacy webhooks honour a channel override; app webhooks ignore it and post to their own.
            payload["channel"] = secrets.resolve(message.job.slack_channel, env)
        outcome = await self._post(url, payload, {}, settings, secrets)
        response = outcome.response
        if response is None or not response.is_success:
            return self._failure(outcome, url, secrets)
        return succeeded(self.name, self._clock, "posted via incoming webhook", attempts=outcome.attempts)

    async def _post(
        self,
        url: str,
        payload: dict[str, Any],
        headers: dict[str, str],
        settings: DeliverySettings,
        secrets: Secrets,
    ) -> PostOutcome:
        return await post_json(
            url,
            payload,
            headers=headers,
            settings=settings,
            clock=self._clock,
            secrets=secrets,
            channel=self.name,
        )

    def _failure(
        self, outcome: PostOutcome, url: str, secrets: Secrets, error: str | None = None
    ) -> DeliveryReceipt:
        response = outcome.response
        detail = "not delivered" if response is None else f"HTTP {response.status_code}"
        text = error if error is not None else outcome.failure(redact_url(url), secrets.scrub)
        return failed(self.name, self._clock, secrets.scrub(text), attempts=outcome.attempts, detail=detail)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None

"""The `webhook` channel: POSTs the run as JSON to the job's `webhook_url` with its headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from symbi_lang.interpolation import UnresolvedVariable
from symbi_runtime.delivery.channel import failed, succeeded
from symbi_runtime.delivery.clock import DeliveryClock
from symbi_runtime.delivery.egress import egress_problem, is_api_job
from symbi_runtime.delivery.http_retry import check_http_url, post_json
from symbi_runtime.delivery.message import DeliveryMessage, DeliveryReceipt
from symbi_runtime.delivery.redaction import Secrets, redact_url
from symbi_runtime.delivery.settings import DeliverySettings


def webhook_payload(message: DeliveryMessage) -> dict[str, Any]:
    """The JSON body a webhook receives (its shape is part of our external contract)."""
    return {
        "job": {"name": message.job.name, "id": message.job_id, "agent": message.job.agent_id},
        "run": message.run_dict(),
        "output": message.output,
        "error": message.error,
    }


class WebhookChannel:
    """POST with the job's headers (plus `webhook_auth_header` as `Authorization` when the job sets
    none); retries connection errors, timeouts, 5xx and 429."""

    name = "webhook"

    def __init__(self, clock: DeliveryClock) -> None:
        self._clock = clock

    async def deliver(
        self, message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str]
    ) -> DeliveryReceipt:
        job = message.job
        if not job.webhook_url:
            return failed(self.name, self._clock, f"job {job.name!r} has no webhook_url")
        secrets = Secrets()
        try:
            url = secrets.resolve(job.webhook_url, env)
            # Header values are credentials more often than not; treat all of them as secret.
            headers = {key: secrets.resolve(value, env, secret=True) for key, value in job.webhook_headers}
            if settings.webhook_auth_header and not any(k.lower() == "authorization" for k in headers):
                headers["Authorization"] = secrets.resolve(settings.webhook_auth_header, env, secret=True)
        except UnresolvedVariable as exc:
            return failed(self.name, self._clock, str(exc))
        secrets.add_url(url)
        problem = check_http_url(url) or egress_problem(url, settings.allowed_hosts, api_job=is_api_job(job))
        if problem:
            return failed(self.name, self._clock, f"webhook_url {problem}")
        where = redact_url(url)
        outcome = await post_json(
            url,
            webhook_payload(message),
            headers=headers,
            settings=settings,
            clock=self._clock,
            secrets=secrets,
            channel=self.name,
        )
        response = outcome.response
        if response is not None and response.is_success:
            return succeeded(
                self.name, self._clock, f"HTTP {response.status_code}", attempts=outcome.attempts
            )
        detail = "not delivered" if response is None else f"HTTP {response.status_code}"
        return failed(
            self.name,
            self._clock,
            secrets.scrub(outcome.failure(where, secrets.scrub)),
            attempts=outcome.attempts,
            detail=detail,
        )

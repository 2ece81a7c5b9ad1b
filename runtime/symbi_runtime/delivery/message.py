"""What delivery consumes (a finished run's message) and what it produces (one receipt per channel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from symbi_lang.ir import JobDefinition


@dataclass(frozen=True, slots=True)
class DeliveryMessage:
    """A finished run, as every channel sees it. Datetimes are timezone-aware."""

    job: JobDefinition
    job_id: str
    run_id: str
    scheduled_for: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    status: str
    output: str
    error: str | None = None

    def run_dict(self) -> dict[str, Any]:
        """The run's identity and timing in JSON form (ISO 8601 with offset, or null)."""
        return {
            "id": self.run_id,
            "scheduled_for": _iso(self.scheduled_for),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "status": self.status,
        }

    def render_text(self) -> str:
        """The run as plain text (job, run, status, times, output, error) between two rules."""
        run = self.run_dict()
        lines = [
            f"=== symbi: job {self.job.name} · run {self.run_id} · {self.status} ===",
            f"agent: {self.job.agent_id}",
        ]
        lines += [f"{key}: {run[key]}" for key in ("scheduled_for", "started_at", "finished_at") if run[key]]
        lines.append("--- output ---")
        lines.append(self.output.rstrip("\n") if self.output else "(no output)")
        if self.error:
            lines.append("--- error ---")
            lines.append(self.error.rstrip("\n"))
        lines.append(f"=== end of run {self.run_id} ===")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """The outcome of delivering one run to one channel; stored on the run as JSON."""

    channel: str
    ok: bool
    attempts: int
    detail: str
    error: str | None
    delivered_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored on the run record."""
        return {
            "channel": self.channel,
            "ok": self.ok,
            "attempts": self.attempts,
            "detail": self.detail,
            "error": self.error,
            "delivered_at": self.delivered_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeliveryReceipt:
        """Rebuild from `to_dict` output."""
        return cls(
            channel=str(data["channel"]),
            ok=bool(data["ok"]),
            attempts=int(data["attempts"]),
            detail=str(data.get("detail", "")),
            error=None if data.get("error") is None else str(data["error"]),
            delivered_at=datetime.fromisoformat(str(data["delivered_at"])),
        )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()

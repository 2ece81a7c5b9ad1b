"""Where runs may send data: `[scheduler.delivery] allowed_hosts`, checked at send time.

An empty list leaves jobs from files unrestricted (their hosts were reviewed with the file). Jobs
made over the HTTP API (source `<api>`) may only send to listed hosts, so an API token cannot turn the
scheduler into a way to ship data to any host. Entries are host names (`hooks.example.com`), IP
addresses, or `*.example.com` for any subdomain; matching ignores case and port.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from symbi_lang.ir import JobDefinition

#: `JobDefinition.source.file` of jobs created over the HTTP API.
API_SOURCE = "<api>"


def is_api_job(job: JobDefinition) -> bool:
    return job.source.file == API_SOURCE


def host_allowed(host: str, allowed: Sequence[str]) -> bool:
    host = host.lower().rstrip(".")
    for entry in allowed:
        entry = entry.lower().rstrip(".")
        if entry.startswith("*.") and host.endswith(entry[1:]) and host != entry[2:]:
            return True
        if host == entry:
            return True
    return False


def egress_problem(url: str, allowed: Sequence[str], *, api_job: bool) -> str | None:
    """Why a run may not send to `url` (resolved), or None."""
    if not allowed:
        if api_job:
            return (
                "jobs made over the HTTP API may only send to hosts in [scheduler.delivery] allowed_hosts, "
                "and none are listed"
            )
        return None
    host = urlsplit(url).hostname or ""
    if not host_allowed(host, allowed):
        return f"host {host or '(none)'} is not in [scheduler.delivery] allowed_hosts"
    return None

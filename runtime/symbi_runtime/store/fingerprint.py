"""A job's content fingerprint: how loading tells an unchanged job from its stored row cheaply.

Reloading 10,000 unchanged jobs used to serialise each one to JSON only to compare the text with the
stored definition. The fingerprint (stored with the row, `jobs.content_hash`) is a BLAKE2b digest of a
flat tuple of every IR field, nested definitions included, in declaration order (`job_values`; enums as
their wire value), written with `marshal` format 2: for exact strings, numbers, booleans, None and
tuples that format is plain bytes (no sharing, no interning marks), the same in every process, and
costs about a third of the dataclasses' `repr` that scheme r1 hashed. A value marshal refuses (a str
subclass where a plain string belongs) is hashed through its `repr` under another scheme instead.
A fingerprint only ever proves "unchanged": a row without one (older rows, copies) or with another
one (another scheme, another Python's marshal) is compared by its definition text as before, and then
given the job's fingerprint.
"""

from __future__ import annotations

import hashlib
import marshal
from typing import Any

from symbi_lang.ir import AgentDefinition, JobDefinition, SourceRef

# Changed whenever the fingerprinted bytes change meaning: old fingerprints then never match (a fallback
# to comparing definitions, never a wrong "unchanged"). r1 hashed the dataclasses' own repr.
_SCHEME = "m2:"
_SCHEME_REPR = "r2:"
_MARSHAL_VERSION = 2  # version 3 added back-references, whose use depends on objects' reference counts


def job_fingerprint(job: JobDefinition) -> str:
    """The fingerprint of `job` as stored in `jobs.content_hash`."""
    values = job_values(job)
    try:
        data, scheme = marshal.dumps(values, _MARSHAL_VERSION), _SCHEME
    except ValueError:  # a value of a subclass (or another type) marshal does not write
        data, scheme = repr(values).encode(), _SCHEME_REPR
    return scheme + hashlib.blake2b(data, digest_size=16).hexdigest()


def job_values(job: JobDefinition) -> tuple[Any, ...]:
    """Every field of `job` as plain values (what the fingerprint hashes; tests prove it is complete)."""
    p, h, a, hours = job.policy, job.heartbeat, job.agent, job.policy.allowed_hours
    return (
        job.name,
        job.agent_id,
        job.cron_expr,
        job.at,
        job.one_shot,
        job.timezone,
        job.description,
        job.input,
        str(job.session_mode),
        job.delivery,
        job.webhook_url,
        job.webhook_headers,
        job.slack_channel,
        job.email_recipients,
        job.max_concurrent,
        job.max_retries,
        job.jitter,
        str(job.catchup),
        job.agent_pin_jwt,
        (
            p.require_approval,
            p.approver,
            p.max_runtime,
            p.max_runtime_seconds,
            p.require_capabilities,
            None if hours is None else (hours.start, hours.end),
            p.allowed_environments,
            p.require_agent_pin,
        ),
        None if h is None else (h.enabled, str(h.context_mode), h.max_iterations),
        None if a is None else _agent_values(a),
        _source_values(job.source),
    )


def _agent_values(a: AgentDefinition) -> tuple[Any, ...]:
    return (
        a.name,
        a.model,
        a.system_prompt,
        a.description,
        a.capabilities,
        a.handler,
        a.command,
        a.endpoint,
        a.api_key_env,
        _source_values(a.source),
    )


def _source_values(s: SourceRef) -> tuple[str, int, int]:
    return (s.file, s.line, s.column)

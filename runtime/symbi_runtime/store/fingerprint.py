"""A job's content fingerprint: how loading tells an unchanged job from its stored row cheaply.

Reloading 10,000 unchanged jobs used to serialise each one to JSON only to compare the text with the
stored definition. The fingerprint (stored with the row, `jobs.content_hash`) is a BLAKE2b digest of the
job IR's dataclass `repr` — every field, nested definitions included, in declaration order; the IR holds
only strings, numbers, enums and tuples, so the text is the same in every process — and costs about a
quarter of the JSON. It only ever proves "unchanged": a row without a fingerprint (older rows, copies) or
with another one is compared by its definition text as before, and then given the job's fingerprint.
"""

from __future__ import annotations

import hashlib

from symbi_lang.ir import JobDefinition

# Bumped if the fingerprinted text ever changes meaning: old fingerprints then never match (a fallback
# to comparing definitions, never a wrong "unchanged").
_SCHEME = "r1:"


def job_fingerprint(job: JobDefinition) -> str:
    """The fingerprint of `job` as stored in `jobs.content_hash`."""
    return _SCHEME + hashlib.blake2b(repr(job).encode(), digest_size=16).hexdigest()

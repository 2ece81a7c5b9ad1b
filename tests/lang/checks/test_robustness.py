"""Checks and lowering never raise, whatever the blocks hold: generated from the field table."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from symbi_lang import codes
from symbi_lang.api import Source, analyze
from symbi_lang.checks import CheckContext
from symbi_lang.ir import JobSet
from symbi_lang.lower import lower_modules
from symbi_lang.schema import FIELDS_BY_BLOCK

WORDS = st.sampled_from(
    [
        "0 0 9 * * *", "0 9 * * *", "* * * * * * 2020", "0 0 0 30 2 *", "0 0 0 13 * 5", "L", "?", "",
        "2026-12-01T09:00:00Z", "2026-02-30", "Europe/Berlin", "Mars/Base", "5m", "1h30m", "0s", "x",
        "${A}", "${", "$${B}", "${1}", "stdout", "webhook", "slack", "email", "http://h/", "ops@example.com",
        "Bearer abc", "00:00", "24:00", "25:61", "pkg.mod:fn", "fully_ephemeral",
    ]
)  # fmt: skip
SCALARS = st.one_of(
    WORDS.map(lambda w: '"' + w.replace('"', "") + '"'),
    st.integers(-3, 30).map(str),
    st.sampled_from(["true", "false", "1.5", "latest", "none", '"""\n  x ${Y}\n  """']),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(
            st.tuples(st.sampled_from(["start", "end", "enabled", '"Authorization"', "k"]), inner), max_size=3
        ).map(lambda kvs: "{ " + " ".join(f"{k}: {v}" for k, v in kvs) + " }"),
    ),
    max_leaves=6,
)
NAMES = st.sampled_from(sorted({n for t in FIELDS_BY_BLOCK.values() for n in t} | {"bogus"}))
BODY = st.lists(
    st.one_of(
        st.tuples(NAMES, VALUES).map(lambda kv: f"{kv[0]}: {kv[1]}"),
        st.tuples(
            st.sampled_from(["policy", "heartbeat", "allowed_hours", "webhook_headers"]),
            st.lists(st.tuples(NAMES, VALUES), max_size=4),
        ).map(lambda b: b[0] + " { " + " ".join(f"{k}: {v}" for k, v in b[1]) + " }"),
    ),
    max_size=8,
)
ITEMS = st.lists(
    st.tuples(st.sampled_from(["schedule", "agent", "schedule a", "agent a", "agent b", "job"]), BODY).map(
        lambda kb: kb[0] + " {\n  " + "\n  ".join(kb[1]) + "\n}\n"
    ),
    max_size=4,
)


@settings(max_examples=120, deadline=None)
@given(ITEMS, st.booleans())
def test_checks_and_lowering_never_raise(items: list[str], strict: bool) -> None:
    text = "".join(items)
    ctx = CheckContext(env={"A": "1"}, strict=strict, now=datetime(2026, 6, 1, tzinfo=UTC))
    analysis = analyze([Source("gen.symbi", text)], ctx)
    for d in analysis.diagnostics:
        assert d.code in codes.REGISTRY
        assert 0 <= d.span.start.offset <= d.span.end.offset <= len(text)
        for fix in d.fixes:
            for edit in fix.edits:
                assert 0 <= edit.span.start.offset <= edit.span.end.offset <= len(text)
    jobset = lower_modules(analysis.modules)
    assert JobSet.from_dict(jobset.to_dict()) == jobset


@settings(max_examples=150, deadline=None)
@given(NAMES, st.text(max_size=15))
def test_any_string_in_any_field_is_a_diagnostic_not_a_crash(name: str, value: str) -> None:
    v = json.dumps(value)
    text = (
        f'schedule s {{ agent: "w" cron: "0 0 1 * * *" {name}: {v}\n'
        f"  policy {{ {name}: {v} allowed_hours: {{ start: {v}, end: {v} }} }}\n"
        f"  heartbeat {{ context_mode: {v} }} }}\n"
        f"agent w {{ handler: {v} endpoint: {v} {name}: {v} }}\n"
    )
    analysis = analyze([Source("s.symbi", text)], CheckContext(now=datetime(2026, 1, 1, tzinfo=UTC)))
    assert all(d.code in codes.REGISTRY for d in analysis.diagnostics)
    lower_modules(analysis.modules)

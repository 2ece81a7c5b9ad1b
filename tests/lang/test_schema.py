"""The field table (`symbi_lang.schema`): complete, consistent with the IR, and its examples check."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

import pytest

from symbi_lang.api import Source, analyze
from symbi_lang.checks import CheckContext
from symbi_lang.ir import (
    BUILTIN_CHANNELS,
    AgentDefinition,
    Catchup,
    Heartbeat,
    JobDefinition,
    Policy,
    SessionMode,
    json_schema,
)
from symbi_lang.schema import (
    BLOCKS,
    CATCHUP_POLICIES,
    DELIVERY_CHANNELS,
    FIELDS_BY_BLOCK,
    SESSION_MODES,
    TOP_LEVEL_KINDS,
    FieldSpec,
    Shape,
    block_spec,
    field_spec,
)

#: Block path of every block kind.
PATHS = {
    "schedule": ("schedule",),
    "agent": ("agent",),
    "policy": ("schedule", "policy"),
    "heartbeat": ("schedule", "heartbeat"),
    "allowed_hours": ("schedule", "policy", "allowed_hours"),
}
ALL_FIELDS = [(kind, spec) for kind, table in FIELDS_BY_BLOCK.items() for spec in table.values()]


def test_lookups() -> None:
    assert TOP_LEVEL_KINDS == ("schedule", "agent")
    cron = field_spec(("schedule",), "cron")
    assert cron is not None and cron.shapes == (Shape.STRING,) and not cron.interpolation
    start = field_spec(("schedule", "policy", "allowed_hours"), "start")
    assert start is not None and start.required
    assert field_spec(("schedule", "policy"), "cron") is None
    assert field_spec(("policy",), "max_runtime") is None  # policy is not a top-level block
    assert field_spec(("schedule", "cron"), "x") is None  # cron is not a block
    assert field_spec((), "cron") is None
    assert block_spec(("schedule", "heartbeat")) is BLOCKS["heartbeat"]
    assert block_spec(("nonsense",)) is None


@pytest.mark.parametrize(("kind", "spec"), ALL_FIELDS, ids=lambda x: x if isinstance(x, str) else x.name)
def test_every_field_is_documented(kind: str, spec: FieldSpec) -> None:
    assert spec.doc.endswith(".") and len(spec.doc) > 40
    assert spec.example.startswith(spec.name)
    assert (spec.block is not None) == (Shape.BLOCK in spec.shapes)
    md = spec.markdown
    assert f"`{spec.name}`" in md and spec.example in md
    for value in spec.enum:
        assert f"`{value}`" in md


@pytest.mark.parametrize(("kind", "spec"), ALL_FIELDS, ids=lambda x: x if isinstance(x, str) else x.name)
def test_every_example_checks_in_its_block(kind: str, spec: FieldSpec) -> None:
    path = PATHS[kind]
    inner = spec.example
    for outer in reversed(path[1:]):
        inner = f"{outer} {{\n{inner}\n}}"
    if path[0] == "schedule":
        head = "" if spec.name == "agent" else 'agent: "w"\n'
        time = "" if spec.name in ("cron", "at") else 'cron: "0 0 1 * * *"\n'
        label = "" if spec.name == "name" else " s"
        text = f"schedule{label} {{\n{head}{time}{inner}\n}}\n"
    else:
        label = "" if spec.name == "name" else " a"
        text = f"agent{label} {{\n{inner}\n}}\n"
    ctx = CheckContext(
        env={"METRICS_API_KEY": "k", "AGENT_PIN_JWT": "j"}, now=datetime(2026, 1, 1, tzinfo=UTC)
    )
    analysis = analyze([Source("example.symbi", text)], ctx)
    structural = [d for d in analysis.diagnostics if d.code < "SYM200" or d.code in ("SYM501", "SYM502")]
    if kind == "allowed_hours":  # one bound alone: the other is missing, by construction
        structural = [d for d in structural if d.code != "SYM107"]
    assert structural == [], text


def test_structural_fields_do_not_interpolate() -> None:
    for kind, spec in ALL_FIELDS:
        structural = spec.name in ("name", "agent", "cron", "at", "timezone") or bool(spec.enum)
        structural = structural or spec.name in (
            "capabilities",
            "require_capabilities",
            "allowed_environments",
        )
        structural = structural or Shape.BLOCK in spec.shapes or Shape.INTEGER in spec.shapes
        structural = structural or Shape.BOOLEAN in spec.shapes
        assert spec.interpolation is not structural, (kind, spec.name)


def test_enums_match_the_ir() -> None:
    assert tuple(m.value for m in SessionMode) == SESSION_MODES
    assert tuple(c.value for c in Catchup) == CATCHUP_POLICIES
    assert DELIVERY_CHANNELS == BUILTIN_CHANNELS
    assert FIELDS_BY_BLOCK["heartbeat"]["context_mode"].enum == SESSION_MODES


def test_fields_match_the_ir() -> None:
    renamed = {"agent": "agent_id", "cron": "cron_expr"}
    job = {f.name for f in fields(JobDefinition)} - {"agent", "source"}
    assert {renamed.get(n, n) for n in FIELDS_BY_BLOCK["schedule"]} == job
    assert set(FIELDS_BY_BLOCK["policy"]) == {f.name for f in fields(Policy)} - {"max_runtime_seconds"}
    assert set(FIELDS_BY_BLOCK["heartbeat"]) == {f.name for f in fields(Heartbeat)}
    assert set(FIELDS_BY_BLOCK["agent"]) == {f.name for f in fields(AgentDefinition)} - {"source"}


def test_json_schema_describes_every_ir_field() -> None:
    defs = json_schema()["$defs"]
    assert set(defs["job"]["properties"]) == {f.name for f in fields(JobDefinition)}
    # `one_shot` is the one optional key (written only when true: IR from before it reads unchanged)
    assert set(defs["job"]["required"]) == {f.name for f in fields(JobDefinition)} - {"one_shot"}
    assert set(defs["policy"]["properties"]) == {f.name for f in fields(Policy)}
    assert set(defs["heartbeat"]["properties"]) == {f.name for f in fields(Heartbeat)}
    assert set(defs["agent"]["properties"]) == {f.name for f in fields(AgentDefinition)}
    assert defs["sessionMode"]["enum"] == list(SESSION_MODES)
    assert defs["job"]["properties"]["catchup"]["enum"] == list(CATCHUP_POLICIES)

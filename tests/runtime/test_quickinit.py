"""The records built per fire get a faster `__init__` (`quick_init`); they must behave exactly like the
dataclasses they are: same parameters and defaults, fresh default factories, frozen, equal and hashable
as before, and `replace` still works."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from datetime import UTC, datetime
from typing import Any

import pytest
from symbi_runtime.agents.call import AgentCall, Message
from symbi_runtime.catchup import FirePlan
from symbi_runtime.policy import PolicyContext
from symbi_runtime.quickinit import quick_init
from symbi_runtime.store.records import FinishResult, FireClaim, JobRecord, NewRun, RunOutcome, RunRecord

from symbi_lang.ir import JobDefinition

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
JOB = JobDefinition(name="j", agent_id="a", cron_expr="0 * * * * *")
RUN = RunRecord("r", "jid", "j", T0, "schedule", T0, None, 0.0, "running", None, None, None, None)

# One instance of each, built with only the required arguments, the way the runtime builds them.
SAMPLES: list[Any] = [
    JobRecord("jid", "j", JOB, "active", T0, 0, 0, T0, T0, None, None),
    RUN,
    NewRun(T0, "schedule", "pending"),
    FireClaim("jid", T0, None, ()),
    RunOutcome("r", "succeeded"),
    FinishResult(RUN, False),
    FirePlan((), None),
    PolicyContext(environment=None, now=T0),
    AgentCall(agent_id="a", input=""),
    Message("system", "hello"),
]


def _reference(cls: type) -> type:
    """The same class as dataclasses alone makes it (the generated `__init__`)."""
    fields = [(f.name, f.type, f) for f in dataclasses.fields(cls)]
    return dataclasses.make_dataclass(cls.__name__, fields, frozen=True, slots=True)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: type(s).__name__)
def test_each_record_behaves_as_its_plain_dataclass(sample: Any) -> None:
    cls = type(sample)
    ref = _reference(cls)
    ours, theirs = inspect.signature(cls), inspect.signature(ref)
    assert [(p.name, p.kind, repr(p.default)) for p in ours.parameters.values()] == [
        (p.name, p.kind, repr(p.default)) for p in theirs.parameters.values()
    ]
    values = {f.name: getattr(sample, f.name) for f in dataclasses.fields(cls)}
    built, reference = cls(**values), ref(**values)
    assert [getattr(built, name) for name in values] == [getattr(reference, name) for name in values]
    assert cls(**values) == sample
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample.__setattr__(dataclasses.fields(cls)[0].name, None)
    first = dataclasses.fields(cls)[0].name
    changed = dataclasses.replace(sample, **{first: getattr(sample, first)})
    assert changed == sample and changed is not sample
    if not isinstance(sample, AgentCall):  # its environment is a read-only mapping, never pickled
        assert pickle.loads(pickle.dumps(sample)) == sample


def test_default_factories_give_each_instance_its_own_value() -> None:
    a = RunRecord("a", "j", "n", T0, "schedule", None, None, 0.0, "pending", None, None, None, None)
    b = RunRecord("b", "j", "n", T0, "schedule", None, None, 0.0, "pending", None, None, None, None)
    assert a.receipts == [] and a.detail == {} and a.receipts is not b.receipts and a.detail is not b.detail
    given = {"k": 1}
    assert (
        RunRecord("c", "j", "n", T0, "x", None, None, 0.0, "p", None, None, None, None, detail=given).detail
        is given
    )
    assert AgentCall(agent_id="a", input="").env == {}


def test_hashable_records_hash_as_before() -> None:
    plan = FirePlan((NewRun(T0, "schedule", "pending"),), T0)
    ref = _reference(FirePlan)
    assert hash(plan) == hash(ref(plan.runs, plan.new_next, plan.missed_count))
    assert hash(Message("user", "x")) == hash(Message("user", "x"))


def test_it_refuses_classes_it_cannot_speed_up_faithfully() -> None:
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        x: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class PostInit:
        x: int

        def __post_init__(self) -> None:
            pass

    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class KeywordOnly:
        x: int

    for cls in (NoSlots, PostInit, KeywordOnly):
        with pytest.raises(TypeError):
            quick_init(cls)

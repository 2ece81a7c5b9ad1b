"""`dumps_indented` writes exactly what `json.dumps(indent=2, ensure_ascii=False)` writes, and
`symbi compile` prints exactly `JobSet.to_json()`."""

from __future__ import annotations

import json
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from symbi_lang.api import analyze_paths
from symbi_lang.json_text import dumps_indented

ROOT = Path(__file__).resolve().parents[2]


def reference(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text()
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(values)
def test_any_plain_value_is_written_as_json_dumps_writes_it(value: Any) -> None:
    assert dumps_indented(value) == reference(value)


class Colour(StrEnum):
    RED = "red"


def test_values_it_does_not_spell_itself_go_to_json_dumps() -> None:
    for value in (
        {"a": Colour.RED},
        {1: "int key"},
        {"n": float("nan"), "i": [float("-inf")]},
        [True, 1, 1.0, -0.0, 10**30, 'é\u2028\x00"\\'],
        {"deep": [[[{}]], [], {"x": ()}]},
    ):
        assert dumps_indented(value) == reference(value)


def test_a_cycle_raises_as_json_dumps_does() -> None:
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    try:
        dumps_indented(cyclic)
    except ValueError as e:
        assert "Circular reference" in str(e)
    else:
        raise AssertionError("a cycle was written")


def test_symbi_compile_prints_the_ir_exactly_as_to_json(tmp_path: Path) -> None:
    examples = sorted((ROOT / "examples").glob("*.symbi"))
    assert examples
    compiled = 0
    for path in examples:
        analysis = analyze_paths([path])
        if not analysis.ok:
            continue
        proc = subprocess.run(
            [sys.executable, "-m", "symbi_lang.cli.main", "compile", str(path)],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == analysis.jobset().to_json() + "\n"
        compiled += 1
    assert compiled >= 1

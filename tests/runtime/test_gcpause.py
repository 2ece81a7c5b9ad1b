"""`no_cyclic_gc` (bulk loads): the collector is off inside, back on after — also when the block raises —
and a collector someone else turned off stays off."""

from __future__ import annotations

import gc

import pytest
from symbi_runtime.gcpause import no_cyclic_gc


def test_off_inside_and_restored_after_even_on_errors() -> None:
    assert gc.isenabled()
    with no_cyclic_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), no_cyclic_gc():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_turned_off_elsewhere_stays_off() -> None:
    gc.disable()
    try:
        with no_cyclic_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()

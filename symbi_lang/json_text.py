"""Indented JSON text, byte for byte what `json.dumps(value, indent=2, ensure_ascii=False)` writes.

With an indent, the standard library encodes in Python through nested generators (its C encoder
only writes compact JSON); `symbi compile` of 10,000 schedules spent as long there as lowering and
converting them. This writer handles the plain values the Job IR's `to_dict()` holds (dicts with
string keys, lists, tuples, strings, ints, finite floats, booleans, None) with the C string encoder,
and hands anything else (another type, a subclass, NaN) to `json.dumps` itself, so its output never
differs.
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring
from typing import Any


class _NotPlain(Exception):
    """A value this writer does not spell itself."""


def dumps_indented(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`."""
    parts: list[str] = []
    try:
        _write(value, "", parts.append)
    except (_NotPlain, RecursionError):  # json.dumps raises its own error for a cycle
        return json.dumps(value, indent=2, ensure_ascii=False)
    return "".join(parts)


def _write(value: Any, indent: str, out: Any) -> None:
    kind = type(value)
    if kind is str:
        out(encode_basestring(value))
    elif kind is dict:
        if not value:
            out("{}")
            return
        inner = indent + "  "
        between = ",\n" + inner
        out("{\n" + inner)
        first = True
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            if first:
                first = False
            else:
                out(between)
            out(encode_basestring(key))
            out(": ")
            _write(item, inner, out)
        out("\n" + indent + "}")
    elif kind is list or kind is tuple:
        if not value:
            out("[]")
            return
        inner = indent + "  "
        between = ",\n" + inner
        out("[\n" + inner)
        first = True
        for item in value:
            if first:
                first = False
            else:
                out(between)
            _write(item, inner, out)
        out("\n" + indent + "]")
    elif value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif kind is int:
        out(int.__repr__(value))
    elif kind is float and math.isfinite(value):
        out(float.__repr__(value))
    else:
        raise _NotPlain

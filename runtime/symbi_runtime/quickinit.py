"""A faster `__init__` for the frozen, slotted dataclasses built once or more per fire.

A frozen dataclass stores each field with `object.__setattr__(self, "name", value)`: a global lookup, an
attribute lookup and a generic attribute assignment per field, about 90 ns each. The records a fire
builds (its job, run, claim, outcome, policy context, agent call …) have some 90 fields between them, so
that was 8 µs of a fire's cost. `quick_init` replaces the generated `__init__` with one that stores
through each slot's own descriptor, bound once (half the cost), with the same parameters, defaults and
default factories. Everything else is the dataclass's own: instances stay frozen (assigning still
raises `FrozenInstanceError`), and equality, hashing, `repr`, `replace` and pickling are unchanged.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


class _Factory:
    """The default of a parameter whose field has a default factory (shown as dataclasses shows it)."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def quick_init(cls: type[T]) -> type[T]:
    """Give `cls` (a frozen dataclass with slots, no `__post_init__`, no init-only or keyword-only
    fields) the faster `__init__`; returns `cls`."""
    options = cls.__dict__.get("__dataclass_params__")
    if options is None or not options.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: quick_init needs a frozen dataclass with slots")
    params = dataclasses.fields(cls)  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or any(not f.init or f.kw_only for f in params):
        raise TypeError(f"{cls.__name__}: quick_init handles plain positional fields only")
    names = [f.name for f in params]
    cells: dict[str, Any] = {"_FACTORY": _FACTORY}
    signature, body = [], []
    for f in params:
        cells[f"_set_{f.name}"] = cls.__dict__[f.name].__set__
        value = f.name
        if f.default is not dataclasses.MISSING:
            cells[f"_default_{f.name}"] = f.default
            signature.append(f"{f.name}=_default_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            cells[f"_factory_{f.name}"] = f.default_factory
            signature.append(f"{f.name}=_FACTORY")
            value = f"_factory_{f.name}() if {f.name} is _FACTORY else {f.name}"
        else:
            signature.append(f.name)
        body.append(f"        _set_{f.name}(self, {value})")
    source = (
        f"def _make({', '.join(cells)}):\n"
        f"    def __init__(self, {', '.join(signature)}):\n"
        + ("\n".join(body) if body else "        pass")
        + "\n    return __init__\n"
    )
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    init = namespace["_make"](**cells)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = dict(cls.__init__.__annotations__)
    assert names == [p for p in init.__code__.co_varnames[1 : len(names) + 1]]
    cls.__init__ = init  # type: ignore[method-assign]
    return cls

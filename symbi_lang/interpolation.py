"""`${VAR}` and `${VAR:-default}` references inside strings; `$${` is a literal `${`.

References are found at check time and resolved only at execution time, so secret values never
reach the IR, the database, logs or CLI output.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

# `$${` escapes; `${NAME}` or `${NAME:-default}` (default may not contain `}`).
_TOKEN = re.compile(r"\$\$\{|\$\{(?P<body>[^}]*)\}|\$\{(?P<open>[^}]*)$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True, slots=True)
class Reference:
    """One `${…}` in a string: offsets are relative to the string's value."""

    name: str
    default: str | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class InterpolationError:
    """A malformed `${…}`: offsets are relative to the string's value."""

    message: str
    start: int
    end: int


class UnresolvedVariable(LookupError):
    """An environment variable needed at execution time is not set (and has no default)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"environment variable {name} is not set")
        self.name = name


def scan(text: str) -> Iterator[Reference | InterpolationError]:
    """Every reference (or malformed reference) in `text`, in order."""
    for m in _TOKEN.finditer(text):
        if m.group(0) == "$${":
            continue
        if m.group("open") is not None:
            yield InterpolationError("unterminated `${`: expected `}`", m.start(), len(text))
            continue
        body = m.group("body") or ""
        name, sep, default = body.partition(":-")
        if not _NAME.match(name):
            shown = name or "(empty)"
            yield InterpolationError(
                f"invalid variable name `{shown}` in `${{…}}`: use letters, digits and `_`",
                m.start(),
                m.end(),
            )
            continue
        yield Reference(name, default if sep else None, m.start(), m.end())


def references(text: str) -> list[Reference]:
    """The well-formed references in `text`."""
    return [r for r in scan(text) if isinstance(r, Reference)]


def has_references(text: str) -> bool:
    return "${" in text


def resolve(text: str, env: Mapping[str, str]) -> str:
    """Substitute every reference from `env`; raise `UnresolvedVariable` for an unset one."""
    if "$" not in text:
        return text

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$${":
            return "${"
        if m.group("open") is not None:
            return m.group(0)
        body = m.group("body") or ""
        name, sep, default = body.partition(":-")
        value = env.get(name)
        if value is None or (sep and value == ""):
            if sep:
                return default
            raise UnresolvedVariable(name)
        return value

    return _TOKEN.sub(sub, text)

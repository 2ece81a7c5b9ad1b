"""Capability matching shared by `symbi check` and the runtime (AgentPin `action:resource` rules)."""

from __future__ import annotations


def capability_covers(declared: str, claimed: str) -> bool:
    """Whether a declared capability covers a claimed (or required) one.

    The same capability, or the same action with resource `*` or a dotted parent resource
    (`read:data` covers `read:data.users`). Capabilities without a `:` only cover themselves.
    """
    if declared == claimed:
        return True
    d_action, d_sep, d_resource = declared.partition(":")
    c_action, c_sep, c_resource = claimed.partition(":")
    if not d_sep or not c_sep or d_action != c_action:
        return False
    return d_resource == "*" or c_resource.startswith(d_resource + ".")

"""Session messages are written with a hand-spelled encoding of the usual `{"role", "content"}` dicts:
the text must be exactly what the JSON encoder writes, for any content, and anything else must go
through the encoder itself."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from symbi_runtime.store.sqlite import _json, _json_messages

_message = st.fixed_dictionaries({"role": st.text(), "content": st.text()})
_other = st.one_of(
    st.fixed_dictionaries({"role": st.text(), "content": st.one_of(st.none(), st.integers(), st.floats())}),
    st.fixed_dictionaries({"role": st.text()}),
    st.fixed_dictionaries({"role": st.text(), "content": st.text(), "name": st.text()}),
    st.lists(st.text(), max_size=2),
)


@given(st.lists(_message, max_size=4))
def test_usual_messages_encode_as_the_encoder_does(messages: list[dict[str, Any]]) -> None:
    text = _json_messages(messages)
    assert text == _json(messages)
    assert json.loads(text) == messages


@given(st.lists(st.one_of(_message, _other), max_size=4))
def test_any_other_shape_encodes_as_the_encoder_does(messages: list[Any]) -> None:
    assert _json_messages(messages) == _json(messages)


def test_key_order_and_escapes_are_kept() -> None:
    messages = [{"content": 'say "hi"\n\\ \u2028 \x00 é', "role": "user"}]
    assert _json_messages(messages) == '[{"content":"say \\"hi\\"\\n\\\\ \u2028 \\u0000 é","role":"user"}]'

"""The feature functions, called directly on parsed documents and a workspace analysis."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lsprotocol import types
from symbi_lsp.documents import ParsedDocument, Workspace, WorkspaceAnalysis
from symbi_lsp.features.code_actions import quick_fixes
from symbi_lsp.features.code_lens import code_lenses, next_change
from symbi_lsp.features.completion import completions
from symbi_lsp.features.definition import definition
from symbi_lsp.features.diagnostics import lsp_diagnostics
from symbi_lsp.features.formatting import format_document
from symbi_lsp.features.hover import hover
from symbi_lsp.features.symbols import document_symbols

#: A fixed "now" for time-dependent features: Tuesday 2026-11-24 06:00 UTC.
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


@dataclass
class Docs:
    """A workspace of open documents under a temporary folder."""

    root: Path
    workspace: Workspace

    def open(self, name: str, text: str, version: int = 1) -> ParsedDocument:
        return self.workspace.open((self.root / name).as_uri(), text, version)

    def analysis(self) -> WorkspaceAnalysis:
        return self.workspace.analysis()

    def offset(self, doc: ParsedDocument, marker: str, delta: int = 0) -> int:
        """The offset of the first `marker` in `doc`'s text, plus `delta`."""
        at = doc.text.index(marker)
        return at + delta


@pytest.fixture
def docs(tmp_path: Path) -> Docs:
    env = {"HOME": "/home/x", "SYMBI_TOKEN": "t", "1BAD": "x"}
    return Docs(tmp_path, Workspace(env=env, now=lambda: NOW))


SCHEDULES = """\
agent reporter {
  description: "Writes reports"
  command: ["cat"]
}

schedule daily {
  agent: "reporter"
  cron: "0 0 9 * * 1-5"
  timezone: "Europe/Berlin"
  session_mode: "fully_ephemeral"
  policy {
    max_runtime: "5m"
  }
  heartbeat: { enabled: true, context_mode: "shared_persistent" }
}

schedule {
  name: "once"
  agent: "reporter"
  at: "2026-12-01T09:30:00Z"
}
"""


def _labels(items: list[types.CompletionItem]) -> set[str]:
    return {i.label for i in items}


def _hover_text(result: types.Hover | None) -> str:
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    return result.contents.value


# --- diagnostics ---------------------------------------------------------------------------------------


def test_diagnostics_carry_code_range_severity_and_help(docs: Docs) -> None:
    doc = docs.open("a.symbi", 'schedule s {\n  agent: "reporter"\n  cron "🕘"\n}\n')
    [d] = [x for x in lsp_diagnostics(doc, docs.analysis()) if x.code == "SYM002"]
    assert (d.code, d.source, d.severity) == ("SYM002", "symbi", types.DiagnosticSeverity.Error)
    # the string holding an astral character is 3 code points but 4 UTF-16 units wide
    assert d.range == types.Range(
        start=types.Position(line=2, character=7), end=types.Position(line=2, character=11)
    )
    assert d.related_information is not None
    assert d.related_information[0].message == "help: write `cron: …`"
    assert d.related_information[0].location.uri == doc.uri


def test_without_related_information_support_help_goes_into_the_message(docs: Docs) -> None:
    doc = docs.open("a.symbi", 'schedule s {\n  cron "0 0 9 * * *"\n}\n')
    [d] = [x for x in lsp_diagnostics(doc, docs.analysis(), related_information=False) if x.code == "SYM002"]
    assert d.message.endswith("\nhelp: write `cron: …`")
    assert d.related_information is None


def test_analysis_is_cached_until_a_document_changes(docs: Docs) -> None:
    first = docs.open("a.symbi", SCHEDULES)
    analysis = docs.analysis()
    assert docs.open("a.symbi", SCHEDULES) is first  # same (uri, version): not parsed again
    assert docs.analysis() is analysis
    docs.open("a.symbi", SCHEDULES + "\n", version=2)
    assert docs.analysis() is not analysis


def test_workspace_folder_files_join_the_analysis_and_open_documents_shadow_them(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "agents.symbi").write_text('agent archivist {\n  command: ["cat"]\n}\n')
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.symbi").write_text("agent hidden {}\n")
    ws = Workspace(env={}, now=lambda: NOW)
    ws.set_folders([tmp_path.as_uri()])
    assert ws.analysis().agent_names() == ["archivist"]
    ws.open((tmp_path / "sub" / "agents.symbi").as_uri(), 'agent renamed {\n  command: ["cat"]\n}\n', 1)
    assert ws.analysis().agent_names() == ["renamed"]
    ws.close((tmp_path / "sub" / "agents.symbi").as_uri())
    (tmp_path / "sub" / "agents.symbi").write_text('agent third {\n  command: ["cat"]\n}\n')
    os.utime(tmp_path / "sub" / "agents.symbi", ns=(1, 1))  # a different stamp even on coarse clocks
    assert ws.analysis().agent_names() == ["third"]


# --- hover ---------------------------------------------------------------------------------------------


def test_hover_on_a_field_name_shows_the_schema_doc(docs: Docs) -> None:
    doc = docs.open("a.symbi", SCHEDULES)
    text = _hover_text(hover(doc, docs.analysis(), docs.offset(doc, "session_mode", 2), NOW))
    assert text.startswith("**`session_mode`**")
    assert "`fully_ephemeral`" in text


def test_hover_on_a_nested_block_field_and_a_block_map_key(docs: Docs) -> None:
    doc = docs.open("a.symbi", SCHEDULES)
    assert _hover_text(hover(doc, docs.analysis(), docs.offset(doc, "max_runtime"), NOW)).startswith(
        "**`max_runtime`**"
    )
    assert _hover_text(hover(doc, docs.analysis(), docs.offset(doc, "context_mode", 1), NOW)).startswith(
        "**`context_mode`**"
    )
    policy = _hover_text(hover(doc, docs.analysis(), docs.offset(doc, "policy", 1), NOW))
    assert policy.startswith("**`policy`** block")


def test_hover_on_cron_value_reads_it_and_lists_five_fires_in_the_schedule_zone(docs: Docs) -> None:
    doc = docs.open("a.symbi", SCHEDULES)
    text = _hover_text(hover(doc, docs.analysis(), docs.offset(doc, "0 0 9 * * 1-5", 3), NOW))
    assert "**at 09:00:00, Monday through Friday** (Europe/Berlin)" in text
    assert text.splitlines()[-5:] == [
        "- Tue 2026-11-24 09:00 CET (in 2h)",
        "- Wed 2026-11-25 09:00 CET (in 1d 2h)",
        "- Thu 2026-11-26 09:00 CET (in 2d 2h)",
        "- Fri 2026-11-27 09:00 CET (in 3d 2h)",
        "- Mon 2026-11-30 09:00 CET (in 6d 2h)",
    ]


def test_hover_on_an_at_value_reads_it_in_the_schedule_zone(docs: Docs) -> None:
    doc = docs.open("a.symbi", 'schedule s {\n  at: "2026-12-01T09:30:00"\n  timezone: "Asia/Tokyo"\n}\n')
    text = _hover_text(hover(doc, docs.analysis(), docs.offset(doc, "2026"), NOW))
    assert "**once, at Tue 2026-12-01 09:30 JST** (Asia/Tokyo)" in text
    assert "Fires in 6d 18h." in text
    past = docs.open("b.symbi", 'schedule s {\n  at: "2020-01-01T00:00:00Z"\n}\n')
    assert "in the past" in _hover_text(hover(past, docs.analysis(), docs.offset(past, "2020"), NOW))


def test_hover_on_an_env_reference_says_whether_it_is_set_never_its_value(docs: Docs) -> None:
    text = 'agent a {\n  endpoint: "${BASE}/v1"\n  api_key_env: "${KEY:-none} ${GONE}"\n}\n'
    doc = docs.open("a.symbi", text)
    env = {"BASE": "http://secret-host"}
    base = hover(doc, docs.analysis(), docs.offset(doc, "BASE"), NOW, env)
    assert base is not None and base.range is not None
    assert "Set in the language server's environment." in _hover_text(base)
    assert "secret-host" not in _hover_text(base)
    assert (base.range.start.character, base.range.end.character) == (13, 20)
    key = _hover_text(hover(doc, docs.analysis(), docs.offset(doc, "KEY"), NOW, env))
    assert "the default `none` applies" in key
    gone = _hover_text(hover(doc, docs.analysis(), docs.offset(doc, "GONE"), NOW, env))
    assert "**Not set**" in gone


def test_hover_on_a_bad_cron_value_shows_the_problem(docs: Docs) -> None:
    doc = docs.open("a.symbi", 'schedule s {\n  agent: "a"\n  cron: "0 0 25 * * *"\n}\n')
    text = _hover_text(hover(doc, docs.analysis(), docs.offset(doc, "25"), NOW))
    assert "hour" in text and "25" in text
    assert "Next" not in text


def test_hover_on_an_agent_reference_names_its_definition(docs: Docs) -> None:
    doc = docs.open("a.symbi", SCHEDULES)
    text = _hover_text(hover(doc, docs.analysis(), docs.offset(doc, '"reporter"', 2), NOW))
    assert text.startswith("**agent `reporter`**")
    assert "Writes reports" in text


def test_hover_on_an_unknown_field_or_whitespace_is_empty(docs: Docs) -> None:
    doc = docs.open("a.symbi", 'schedule s {\n  colour: "red"\n\n}\n')
    assert hover(doc, docs.analysis(), docs.offset(doc, "colour", 1), NOW) is None
    assert hover(doc, docs.analysis(), docs.offset(doc, "\n\n", 1), NOW) is None


# --- code lens -----------------------------------------------------------------------------------------


def test_code_lens_on_each_schedule_shows_the_next_run(docs: Docs) -> None:
    doc = docs.open("a.symbi", SCHEDULES)
    lenses = code_lenses(doc, NOW)
    assert [(lens.range.start.line, lens.command.title if lens.command else None) for lens in lenses] == [
        (5, "next run: Tue 2026-11-24 09:00 CET (in 2h)"),
        (16, "next run: Tue 2026-12-01 09:30 UTC (in 7d 3h)"),
    ]


def test_code_lens_example_from_the_issue(docs: Docs) -> None:
    doc = docs.open("a.symbi", 'schedule s {\n  agent: "a"\n  cron: "0 0 9 * * *"\n}\n')
    [lens] = code_lenses(doc, NOW)
    assert lens.command is not None
    assert lens.command.title == "next run: Tue 2026-11-24 09:00 UTC (in 3h)"


def test_code_lens_for_past_at_and_bad_cron(docs: Docs) -> None:
    doc = docs.open(
        "a.symbi",
        'schedule a {\n  at: "2020-01-01T00:00:00Z"\n}\nschedule b {\n  cron: "0 0 0 30 2 *"\n}\n'
        'schedule c {\n  cron: "nonsense"\n}\nschedule d {\n  agent: "x"\n}\n',
    )
    titles = [lens.command.title for lens in code_lenses(doc, NOW) if lens.command]
    assert titles[0] == "next run: none (the time is in the past)"
    assert titles[1] == "next run: never"
    assert titles[2].startswith("next run: unknown (")
    assert len(titles) == 3  # no lens for a schedule without cron or at


# --- completion ----------------------------------------------------------------------------------------


def test_completion_of_field_names_in_each_block(docs: Docs) -> None:
    text = 'schedule s {\n  agent: "a"\n  \n  policy {\n    \n  }\n}\nagent b {\n  \n}\n'
    doc = docs.open("a.symbi", text)
    lines = text.split("\n")

    def at(line: int) -> int:
        return sum(len(x) + 1 for x in lines[:line]) + len(lines[line])

    schedule = _labels(completions(doc, docs.analysis(), at(2), {}))
    assert {"cron", "at", "timezone", "heartbeat"} <= schedule
    assert not {"agent", "policy", "require_approval"} & schedule  # present already / policy fields
    policy = _labels(completions(doc, docs.analysis(), at(4), {}))
    assert {"require_approval", "max_runtime", "allowed_hours"} <= policy and "cron" not in policy
    agent = _labels(completions(doc, docs.analysis(), at(8), {}))
    assert {"model", "system_prompt", "command"} <= agent and "cron" not in agent


def test_completion_while_typing_a_field_name_keeps_the_block(docs: Docs) -> None:
    # (with nothing after the block, the parser currently drops the whole block: see the report)
    doc = docs.open("a.symbi", 'schedule s {\n  agent: "a"\n  sess\n}\nagent b {\n}\n')
    items = completions(doc, docs.analysis(), docs.offset(doc, "sess", 4), {})
    assert "session_mode" in _labels(items)


def test_completion_at_top_level_offers_block_kinds(docs: Docs) -> None:
    doc = docs.open("a.symbi", "\n")
    assert _labels(completions(doc, docs.analysis(), 0, {})) == {"schedule", "agent"}


def test_completion_of_enum_values_quoted_or_inside_a_string(docs: Docs) -> None:
    doc = docs.open("a.symbi", 'schedule s {\n  session_mode: \n  delivery: ["s"]\n}\n')
    bare = completions(doc, docs.analysis(), docs.offset(doc, "session_mode: ", 14), {})
    assert {(i.label, i.insert_text) for i in bare} == {
        ("ephemeral_with_summary", '"ephemeral_with_summary"'),
        ("shared_persistent", '"shared_persistent"'),
        ("fully_ephemeral", '"fully_ephemeral"'),
    }
    channels = completions(doc, docs.analysis(), docs.offset(doc, '"s"', 1), {})
    assert {"stdout", "log_file", "webhook", "slack", "email"} <= _labels(channels)
    # inside the string: the word itself, unquoted (as an edit of what was typed)
    assert all(isinstance(i.text_edit, types.TextEdit) and i.text_edit.new_text == i.label for i in channels)


def test_completion_of_booleans_and_heartbeat_map_keys(docs: Docs) -> None:
    doc = docs.open("a.symbi", "schedule s {\n  policy {\n    require_agent_pin: \n  }\n}\n")
    items = completions(doc, docs.analysis(), docs.offset(doc, "pin: ", 5), {})
    assert {(i.label, i.insert_text) for i in items} == {("true", "true"), ("false", "false")}


def test_completion_of_agent_names_from_every_workspace_document(docs: Docs) -> None:
    docs.open("agents.symbi", 'agent archivist {\n  command: ["cat"]\n}\n')
    doc = docs.open("a.symbi", SCHEDULES.replace('agent: "reporter"\n  cron', 'agent: ""\n  cron'))
    items = completions(doc, docs.analysis(), docs.offset(doc, 'agent: ""', 8), {})
    assert _labels(items) == {"reporter", "archivist"}


def test_completion_of_environment_variables_after_dollar_brace(docs: Docs) -> None:
    doc = docs.open("a.symbi", 'schedule s {\n  input: "hi ${SY"\n}\n')
    end = docs.offset(doc, "${SY", 4)
    items = completions(doc, docs.analysis(), end, {"SYMBI_TOKEN": "secret", "HOME": "/h", "1BAD": "x"})
    assert _labels(items) == {"SYMBI_TOKEN", "HOME"}
    [token] = [i for i in items if i.label == "SYMBI_TOKEN"]
    assert isinstance(token.text_edit, types.TextEdit)
    assert token.text_edit.new_text == "SYMBI_TOKEN"
    assert "secret" not in repr(items)  # names only, never values
    start = doc.lines.lsp_position_of_offset(end - 2)
    assert token.text_edit.range.start == start


def test_no_completion_inside_a_plain_string_or_a_comment(docs: Docs) -> None:
    text = (
        'schedule s {\n  input: "some text"\n  # note \n  // other\n'
        '  description: """\n    Words\n    ${HO\n  """\n}\n'
    )
    doc = docs.open("a.symbi", text)
    assert completions(doc, docs.analysis(), docs.offset(doc, "some", 2), {}) == []
    assert completions(doc, docs.analysis(), docs.offset(doc, "note", 2), {}) == []
    assert completions(doc, docs.analysis(), docs.offset(doc, "other", 2), {}) == []
    assert completions(doc, docs.analysis(), docs.offset(doc, "Words", 5), {}) == []
    # inside a triple-quoted string, `${` still completes environment names
    assert _labels(completions(doc, docs.analysis(), docs.offset(doc, "${HO", 4), {"HOME": "/h"})) == {"HOME"}


# --- definition, symbols, formatting, quick fixes -----------------------------------------------------


def test_definition_of_an_agent_reference(docs: Docs) -> None:
    doc = docs.open("a.symbi", SCHEDULES)
    location = definition(doc, docs.analysis(), docs.offset(doc, '"reporter"', 3))
    assert location == types.Location(
        uri=doc.uri,
        range=types.Range(
            start=types.Position(line=0, character=6), end=types.Position(line=0, character=14)
        ),
    )
    assert definition(doc, docs.analysis(), docs.offset(doc, "Europe")) is None


def test_definition_of_an_unknown_agent_is_none(docs: Docs) -> None:
    doc = docs.open("a.symbi", 'schedule s {\n  agent: "nobody"\n}\n')
    assert definition(doc, docs.analysis(), docs.offset(doc, "nobody")) is None


def test_document_symbols_list_schedules_and_agents_with_children(docs: Docs) -> None:
    doc = docs.open("a.symbi", SCHEDULES)
    symbols = document_symbols(doc)
    assert [(s.name, s.kind, s.detail) for s in symbols] == [
        ("reporter", types.SymbolKind.Class, "agent"),
        ("daily", types.SymbolKind.Event, "schedule"),
        ("once", types.SymbolKind.Event, "schedule"),
    ]
    daily = symbols[1]
    assert daily.children is not None
    assert [c.name for c in daily.children] == [
        "agent",
        "cron",
        "timezone",
        "session_mode",
        "policy",
        "heartbeat",
    ]
    policy = daily.children[4]
    assert policy.children is not None and [c.name for c in policy.children] == ["max_runtime"]
    assert symbols[2].selection_range.start == types.Position(line=17, character=8)  # the `name:` value


def _apply(doc: ParsedDocument, edits: list[types.TextEdit]) -> str:
    text = doc.text
    for edit in sorted(edits, key=lambda e: doc.lines.offset(e.range.start), reverse=True):
        text = (
            text[: doc.lines.offset(edit.range.start)]
            + edit.new_text
            + text[doc.lines.offset(edit.range.end) :]
        )
    return text


def test_formatting_is_symbi_fmt_and_refuses_broken_files(docs: Docs) -> None:
    from symbi_lang.fmt import format_text

    messy = 'schedule   s {\n      agent:"a"\n}\n'
    doc = docs.open("a.symbi", messy)
    edits = format_document(doc)
    assert edits is not None
    formatted = format_text(messy, path="a.symbi").output
    assert _apply(doc, edits) == formatted
    assert format_document(docs.open("b.symbi", formatted)) == []
    assert format_document(docs.open("c.symbi", "schedule s {\n")) is None


def test_formatting_edits_only_the_lines_that_change(docs: Docs) -> None:
    from symbi_lang.fmt import format_text

    tidy = format_text(SCHEDULES, path="a.symbi").output
    lines = tidy.splitlines(keepends=True)
    messy = "".join(lines[:7]) + lines[7].replace(": ", ":     ") + "".join(lines[8:]) + "\n\n"
    doc = docs.open("a.symbi", messy)
    edits = format_document(doc)
    assert edits is not None and _apply(doc, edits) == tidy
    assert len(edits) == 2  # the respaced line and the extra blank lines at the end
    first, last = edits
    assert (first.range.start.line, first.range.end.line) == (7, 8)
    assert first.new_text == lines[7]
    assert (last.range.start.line, last.new_text) == (len(lines), "")


def test_definition_prefers_the_agent_defined_in_the_same_file(docs: Docs) -> None:
    other = docs.open("a.symbi", SCHEDULES)
    here = docs.open(
        "b.symbi", 'agent reporter {\n  command: ["cat"]\n}\n\nschedule s {\n  agent: "reporter"\n}\n'
    )
    location = definition(here, docs.analysis(), docs.offset(here, '"reporter"', 3))
    assert location is not None and location.uri == here.uri and location.range.start.line == 0
    from_other = definition(other, docs.analysis(), docs.offset(other, '"reporter"', 3))
    assert from_other is not None and from_other.uri == other.uri


def test_quick_fix_from_a_diagnostic_fix(docs: Docs) -> None:
    doc = docs.open("a.symbi", 'schedule s {\n  agent: "a"\n  cron "0 0 9 * * *"\n}\n')
    everywhere = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=9, character=0)
    )
    [action] = quick_fixes(doc, docs.analysis(), everywhere)
    assert action.title == "Insert `:` after `cron`"
    assert action.is_preferred
    assert action.diagnostics is not None and action.diagnostics[0].code == "SYM002"
    assert action.edit is not None and action.edit.changes == {
        doc.uri: [
            types.TextEdit(
                range=types.Range(
                    start=types.Position(line=2, character=6), end=types.Position(line=2, character=6)
                ),
                new_text=":",
            )
        ]
    }
    elsewhere = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=3)
    )
    assert quick_fixes(doc, docs.analysis(), elsewhere) == []


SEMANTIC = """\
agent a {
  command: ["cat"]
}

schedule s {
  agent: "a"
  cron: "0 9 * * 1-5"
  sesion_mode: "fully_ephemeral"
  delivery: ["webhook"]
  policy {
    require_agent_pin: true
  }
}
"""


def _apply(doc: ParsedDocument, edits: list[types.TextEdit]) -> str:
    text = doc.text
    spans = [(doc.lines.offset(e.range.start), doc.lines.offset(e.range.end), e.new_text) for e in edits]
    for start, end, new_text in sorted(spans, reverse=True):
        text = text[:start] + new_text + text[end:]
    return text


def test_quick_fixes_for_the_semantic_checks_repair_the_file(docs: Docs) -> None:
    doc = docs.open("a.symbi", SEMANTIC)
    everywhere = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=99, character=0)
    )
    actions = {
        a.diagnostics[0].code: a for a in quick_fixes(doc, docs.analysis(), everywhere) if a.diagnostics
    }
    assert {code: a.title for code, a in actions.items()} == {
        "SYM202": 'Insert the seconds field "0 "',
        "SYM102": "Change to `session_mode`",
        "SYM302": 'Add `webhook_url: "${WEBHOOK_URL}"`',
        "SYM401": 'Add `agent_pin_jwt: "${AGENT_PIN_JWT}"`',
    }
    text = doc.text
    for version, code in enumerate(["SYM202", "SYM102", "SYM302", "SYM401"], start=2):
        [action] = [
            a
            for a in quick_fixes(doc, docs.analysis(), everywhere)
            if a.diagnostics and a.diagnostics[0].code == code
        ]
        assert action.edit is not None and action.edit.changes is not None
        text = _apply(doc, list(action.edit.changes[doc.uri]))
        doc = docs.open("a.symbi", text, version)
        assert code not in {d.code for d in lsp_diagnostics(doc, docs.analysis())}
    assert 'cron: "0 0 9 * * 1-5"' in text
    assert 'session_mode: "fully_ephemeral"' in text
    assert 'webhook_url: "${WEBHOOK_URL}"' in text
    assert 'agent_pin_jwt: "${AGENT_PIN_JWT}"' in text
    env_free = [
        d for d in lsp_diagnostics(doc, docs.analysis()) if d.severity == types.DiagnosticSeverity.Error
    ]
    assert env_free == []


def test_duplicate_names_across_documents_point_at_the_other_file(docs: Docs) -> None:
    first = docs.open("a.symbi", 'schedule dup {\n  agent: "x"\n  cron: "0 0 9 * * *"\n}\n')
    second = docs.open("b.symbi", '\nschedule dup {\n  agent: "x"\n  cron: "0 0 9 * * *"\n}\n')
    analysis = docs.analysis()
    duplicates = [
        d
        for doc in (first, second)
        for d in lsp_diagnostics(doc, analysis)
        if d.message.endswith("more than once")
    ]
    assert len(duplicates) == 1
    [related] = [r for r in duplicates[0].related_information or [] if not r.message.startswith("help:")]
    assert related.message == "first defined here"
    assert related.location == types.Location(
        uri=first.uri,
        range=types.Range(
            start=types.Position(line=0, character=9), end=types.Position(line=0, character=12)
        ),
    )
    docs.workspace.close(second.uri)
    assert not [d for d in lsp_diagnostics(first, docs.analysis()) if d.message.endswith("more than once")]


def test_completion_while_typing_in_the_last_block_uses_the_last_clean_version(docs: Docs) -> None:
    clean = docs.open("a.symbi", 'schedule s {\n  agent: "a"\n  policy {\n    max_runtime: "5m"\n  }\n}\n')
    typing = docs.open("a.symbi", clean.text.replace('"5m"\n', '"5m"\n    requ\n'), version=2)
    assert any(d.is_error for d in typing.syntax)
    offset = docs.offset(typing, "requ", 4)
    items = _labels(
        completions(typing, docs.analysis(), offset, {}, clean=docs.workspace.last_clean(typing.uri))
    )
    assert "require_approval" in items and "max_runtime" not in items  # policy fields, minus the present one
    last = docs.open("a.symbi", clean.text.replace("  }\n}", "  }\n  sess\n}"), version=3)
    offset = docs.offset(last, "sess", 4)
    items = _labels(completions(last, docs.analysis(), offset, {}, clean=docs.workspace.last_clean(last.uri)))
    assert "session_mode" in items and "agent" not in items


def test_map_offset_across_one_edit() -> None:
    from symbi_lsp.locate import map_offset

    old, new = "abc{ x }def", "abc{ xyz }def"
    assert map_offset(old, new, 2) == 2  # before the edit
    assert map_offset(old, new, 7) == 6  # inside the inserted text: the edit's start in `old`
    assert map_offset(old, new, 12) == 10  # after the edit: shifted back
    assert map_offset(old, old, 5) == 5


def test_a_duplicate_of_a_workspace_file_is_reported_in_the_open_document(tmp_path: Path) -> None:
    text = 'schedule dup {\n  agent: "x"\n  cron: "0 0 9 * * *"\n}\n'
    (tmp_path / "z_on_disk.symbi").write_text(text)
    ws = Workspace(env={}, now=lambda: NOW)
    ws.set_folders([tmp_path.as_uri()])
    doc = ws.open((tmp_path / "a_open.symbi").as_uri(), text, 1)
    analysis = ws.analysis()
    [duplicate] = [d for d in lsp_diagnostics(doc, analysis) if d.message.endswith("more than once")]
    assert (tmp_path / "z_on_disk.symbi").as_uri() in {
        r.location.uri for r in duplicate.related_information or []
    }
    assert not [
        d for d in analysis.diagnostics_for(str(tmp_path / "z_on_disk.symbi")) if d.code == duplicate.code
    ]


def test_new_workspace_files_are_listed_after_a_watched_files_notification(tmp_path: Path) -> None:
    ws = Workspace(env={}, now=lambda: NOW)
    ws.set_folders([tmp_path.as_uri()])
    assert ws.analysis().agent_names() == []
    (tmp_path / "new.symbi").write_text('agent fresh {\n  command: ["cat"]\n}\n')
    assert ws.analysis().agent_names() == []  # the listing is kept until the client reports a change
    ws.files_changed()
    assert ws.analysis().agent_names() == ["fresh"]
    (tmp_path / "new.symbi").unlink()
    ws.files_changed()
    assert ws.analysis().agent_names() == []


def test_references_of_an_agent_from_its_definition_or_a_use(docs: Docs) -> None:
    from symbi_lsp.features.definition import references

    other = docs.open("b.symbi", 'schedule b {\n  agent: "reporter"\n  cron: "0 0 1 * * *"\n}\n')
    doc = docs.open("a.symbi", SCHEDULES)
    from_definition = references(
        doc, docs.analysis(), docs.offset(doc, "reporter", 2), include_declaration=True
    )
    assert [(loc.uri, loc.range.start.line) for loc in from_definition] == [
        (doc.uri, 0),  # the declaration first
        (other.uri, 1),
        (doc.uri, 6),
        (doc.uri, 18),
    ]
    from_use = references(other, docs.analysis(), docs.offset(other, "reporter"), include_declaration=False)
    assert [(loc.uri, loc.range.start.line) for loc in from_use] == [
        (other.uri, 1),
        (doc.uri, 6),
        (doc.uri, 18),
    ]
    assert references(doc, docs.analysis(), docs.offset(doc, "Europe"), include_declaration=True) == []


def test_agents_named_by_a_name_field_are_found_too(docs: Docs) -> None:
    doc = docs.open(
        "a.symbi", 'agent {\n  name: "scribe"\n  command: ["cat"]\n}\nschedule s {\n  agent: "scribe"\n}\n'
    )
    analysis = docs.analysis()
    assert analysis.agent_names() == ["scribe"]
    location = definition(doc, analysis, docs.offset(doc, '"scribe"\n}', 2))
    assert location is not None and location.range.start == types.Position(line=1, character=8)


def test_workspace_symbols_filter_by_name(docs: Docs) -> None:
    from symbi_lsp.features.symbols import workspace_symbols

    docs.open("a.symbi", SCHEDULES)
    docs.open("b.symbi", 'schedule nightly_backup {\n  agent: "reporter"\n  cron: "0 0 1 * * *"\n}\n')
    found = workspace_symbols(docs.analysis(), "")
    assert sorted(s.name for s in found) == ["daily", "nightly_backup", "once", "reporter"]
    assert [(s.name, s.container_name) for s in workspace_symbols(docs.analysis(), "BACK")] == [
        ("nightly_backup", "schedule")
    ]


LENS_TEXT = 'schedule morning {\n  agent: "a"\n  cron: "0 0 6 * * *"\n}\n'


def test_next_change_is_the_earliest_next_run_shown(tmp_path: Path) -> None:
    doc = Workspace(env={}).open(
        (tmp_path / "a.symbi").as_uri(),
        LENS_TEXT
        + 'schedule later {\n  agent: "a"\n  cron: "0 0 7 * * *"\n}\nschedule bad {\n  cron: "x"\n}\n',
        1,
    )
    now = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    assert next_change(doc, now) == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    assert next_change(Workspace(env={}).open((tmp_path / "b.symbi").as_uri(), "", 1), now) is None

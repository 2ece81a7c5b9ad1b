"""Issue 12: the hover on a `timezone` and completion of zones, cron presets and environment names."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lsprotocol import types
from symbi_lsp.documents import ParsedDocument, Workspace
from symbi_lsp.features.completion import completions
from symbi_lsp.features.hover import hover

WINTER = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
SUMMER = datetime(2027, 7, 1, 12, 0, tzinfo=UTC)


def _open(tmp_path: Path, text: str, workspace: Workspace | None = None) -> tuple[Workspace, ParsedDocument]:
    ws = workspace or Workspace(env={"SYMBI_ENVIRONMENT": "eu-prod"})
    return ws, ws.open((tmp_path / "a.symbi").as_uri(), text, 1)


def _hover_text(tmp_path: Path, zone: str, now: datetime) -> str | None:
    text = f'schedule s {{\n  agent: "a"\n  cron: "0 0 9 * * *"\n  timezone: "{zone}"\n}}\n'
    ws, doc = _open(tmp_path, text)
    result = hover(doc, ws.analysis(), text.index(zone) + 2, now)
    if result is None:
        return None
    assert isinstance(result.contents, types.MarkupContent)
    return result.contents.value


def test_timezone_hover_shows_offset_local_time_and_next_change(tmp_path: Path) -> None:
    text = _hover_text(tmp_path, "Europe/Berlin", WINTER)
    assert text is not None
    assert text.splitlines()[0] == "**`Europe/Berlin`**: UTC+01:00 now (CET)"
    assert "Local time now: Tue 2026-11-24 07:00:00" in text
    assert "Next change: clocks go forward 1h at 2027-03-28 02:00 (CET +01:00 → CEST +02:00)." in text
    summer = _hover_text(tmp_path, "Europe/Berlin", SUMMER)
    assert summer is not None and "UTC+02:00 now (CEST)" in summer
    assert "clocks go back 1h at 2027-10-31 03:00" in summer


def test_timezone_hover_without_dst_and_for_a_bad_name(tmp_path: Path) -> None:
    text = _hover_text(tmp_path, "Asia/Kolkata", WINTER)
    assert text is not None and "UTC+05:30 now (IST)" in text
    assert "No daylight-saving change ahead" in text
    assert _hover_text(tmp_path, "Mars/Olympus", WINTER) is None


def _complete(tmp_path: Path, text: str, marker: str) -> list[types.CompletionItem]:
    ws, doc = _open(tmp_path, text)
    offset = text.index(marker) + len(marker)
    return completions(doc, ws.analysis(), offset, {})


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("Europe/Be", "Europe/Belfast"),
        ("berl", "Europe/Berlin"),
        ("new_y", "America/New_York"),
        ("Tok", "Asia/Tokyo"),
    ],
)
def test_zones_are_ranked_by_name_prefix_then_city(tmp_path: Path, typed: str, first: str) -> None:
    text = f'schedule s {{\n  agent: "a"\n  timezone: "{typed}"\n}}\n'
    items = _complete(tmp_path, text, f'timezone: "{typed}')
    labels = [i.label for i in items]
    assert first in labels
    assert labels[0] == first
    assert [i.sort_text for i in items] == sorted(i.sort_text or "" for i in items)
    edit = items[0].text_edit
    assert isinstance(edit, types.TextEdit) and edit.new_text == labels[0]
    assert edit.range.end.character - edit.range.start.character == len(typed)  # replaces what was typed


def test_a_city_prefix_ranks_before_a_substring(tmp_path: Path) -> None:
    text = 'schedule s {\n  agent: "a"\n  timezone: "lon"\n}\n'
    labels = [i.label for i in _complete(tmp_path, text, 'timezone: "lon')]
    # Two cities start with "lon"; Miquelon and Blanc-Sablon only contain it.
    assert labels[:2] == ["Arctic/Longyearbyen", "Europe/London"]
    assert set(labels[2:]) == {"America/Miquelon", "America/Blanc-Sablon"}


def test_cron_presets_carry_their_reading(tmp_path: Path) -> None:
    text = 'schedule s {\n  agent: "a"\n  cron: ""\n}\n'
    items = {i.label: i.detail for i in _complete(tmp_path, text, 'cron: "')}
    assert items["@daily"] and "@hourly" in items
    assert items["0 0 9 * * 1-5"] == "at 09:00:00, Monday through Friday"


def test_environment_names_come_from_the_workspace_and_configuration(tmp_path: Path) -> None:
    ws = Workspace(env={"SYMBI_ENVIRONMENT": "eu-prod"})
    ws.open(
        (tmp_path / "other.symbi").as_uri(),
        'schedule o {\n  agent: "a"\n  cron: "@daily"\n  policy { allowed_environments: ["qa-7"] }\n}\n',
        1,
    )
    text = (
        'schedule s {\n  agent: "a"\n  cron: "@daily"\n  policy {\n    allowed_environments: [""]\n  }\n}\n'
    )
    doc = ws.open((tmp_path / "a.symbi").as_uri(), text, 1)
    offset = text.index('allowed_environments: ["') + len('allowed_environments: ["')
    labels = [i.label for i in completions(doc, ws.analysis(), offset, {"SYMBI_ENVIRONMENT": "eu-prod"})]
    assert {"qa-7", "eu-prod", "production", "staging"} <= set(labels)


def test_delivery_channel_names_are_still_offered(tmp_path: Path) -> None:
    text = 'schedule s {\n  agent: "a"\n  cron: "@daily"\n  delivery: [""]\n}\n'
    labels = {i.label for i in _complete(tmp_path, text, 'delivery: ["')}
    assert {"stdout", "log_file", "webhook", "slack", "email"} <= labels

"""The heat map SVG: well-formed, 7 × 24 cells whose counts are the next-run computation's."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from symbi_lang.cron import CronSpec
from symbi_lang.docs.generate import DocFormat, make_environment
from symbi_lang.docs.heatmap import count_cron_fires
from symbi_lang.docs.svg import COLOURS, levels, picture

SVG = "{http://www.w3.org/2000/svg}"


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def render_svg(expr: str, tz: str) -> ET.Element:
    counts = count_cron_fires(CronSpec.parse(expr, tz), tz, NOW, NOW + timedelta(days=7))
    text = (
        make_environment(DocFormat.HTML)
        .get_template("heatmap.svg.j2")
        .render(pic=picture(counts, f"{expr} <&>"), id="t")
    )
    return ET.fromstring(text)


def cells(root: ET.Element) -> list[ET.Element]:
    group = root.find(f"{SVG}g[@class='cells']")
    assert group is not None
    return group.findall(f"{SVG}rect")


def test_cell_counts_sum_to_the_fires_of_the_week() -> None:
    expr, tz = "0 */20 8-18 * * MON-FRI", "Europe/Berlin"
    root = render_svg(expr, tz)
    rects = cells(root)
    assert len(rects) == 7 * 24
    assert {(r.get("data-day"), r.get("data-hour")) for r in rects} == {
        (str(d), str(h)) for d in range(7) for h in range(24)
    }
    expected = []
    for t in CronSpec.parse(expr, tz).iter_after(NOW):
        if t >= NOW + timedelta(days=7):
            break
        expected.append(t)
    # 33 fires on each of 5 weekdays, less Wednesday 13:00 (= NOW, and fires are strictly after it).
    assert sum(int(r.get("data-count", "-1")) for r in rects) == len(expected) == 5 * 33 - 1
    # Each fire lands in the cell of its local weekday and hour.
    by_cell: dict[tuple[int, int], int] = {}
    for t in expected:
        local = t.astimezone(ZoneInfo(tz))
        by_cell[(local.weekday(), local.hour)] = by_cell.get((local.weekday(), local.hour), 0) + 1
    for r in rects:
        key = (int(r.get("data-day", "")), int(r.get("data-hour", "")))
        assert int(r.get("data-count", "")) == by_cell.get(key, 0)


def test_tooltips_give_counts_and_titles_are_escaped() -> None:
    root = render_svg("0 0 9 * * *", "UTC")
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "0 0 9 * * * <&>"
    nine_on_thursday = [r for r in cells(root) if r.get("data-day") == "3" and r.get("data-hour") == "9"]
    tooltip = nine_on_thursday[0].find(f"{SVG}title")
    assert tooltip is not None and tooltip.text == "Thu 09:00–10:00 UTC: 1 fire"
    empty = next(r for r in cells(root) if r.get("data-count") == "0").find(f"{SVG}title")
    assert empty is not None and empty.text is not None and empty.text.endswith(": 0 fires")


def test_legend_explains_every_colour_in_use() -> None:
    root = render_svg("0 */20 8-18 * * MON-FRI", "Europe/Berlin")
    legend = root.find(f"{SVG}g[@class='legend']")
    assert legend is not None
    boxes = legend.findall(f"{SVG}rect")
    assert [b.get("fill") for b in boxes] == list(COLOURS)
    texts = [b.findtext(f"{SVG}title") for b in boxes]
    assert texts[0] == "no fires"
    assert "3 fires per hour" in texts
    used = {r.get("fill") for r in cells(root)}
    for box, text in zip(boxes, texts, strict=True):
        assert (box.get("fill") in used) == (text != "(unused)") or box.get("fill") == COLOURS[0]


def test_levels_rank_distinct_counts() -> None:
    assert levels([0, 0]) == {0: 0}
    assert levels([5, 5, 0]) == {0: 0, 5: 4}
    assert levels([1, 2, 3, 4, 180, 0]) == {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 180: 4}
    assert levels([180, 201]) == {0: 0, 180: 2, 201: 4}

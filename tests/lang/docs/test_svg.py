"""The heat map SVG: well-formed, 7 × 24 cells whose counts are the next-run computation's."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from symbi_lang.cron import CronSpec
from symbi_lang.docs.generate import DocFormat, make_environment
from symbi_lang.docs.heatmap import count_cron_fires, schedules_firing, total
from symbi_lang.docs.svg import (
    COLOURS,
    DARK_COLOURS,
    DARK_TEXT_ON,
    TEXT_ON,
    level,
    palette_index,
    picture,
    step_bounds,
    steps_for,
)

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


def legend_labels(root: ET.Element) -> list[str]:
    legend = root.find(f"{SVG}g[@class='legend']")
    assert legend is not None
    return [step.findtext(f"{SVG}text") or "" for step in legend.findall(f"{SVG}g")]


HELLO_STEPS = ["0", "1–22", "23–45", "46–67", "68–90", "91–112", "113–135", "136–157", "158–180"]


def test_legend_writes_the_numbers_of_each_step() -> None:
    # 3 fires per hour at most: small counts get one step each, 0 is its own colour.
    assert legend_labels(render_svg("0 */20 8-18 * * MON-FRI", "Europe/Berlin")) == ["0", "1", "2", "3"]
    # 180 fires in every hour (every 20 s): eight equal steps from zero.
    assert legend_labels(render_svg("*/20 * * * * *", "UTC")) == HELLO_STEPS


def test_the_scale_is_anchored_at_zero() -> None:
    # 200 and 201 fires look alike; a tenth of the peak does not look like the peak.
    assert level(200, 201) == level(201, 201) == 8
    assert level(20, 201) == 1 and level(0, 201) == 0
    assert [level(v, 3) for v in range(4)] == [0, 1, 2, 3]
    for peak in (1, 3, 4, 5, 7, 8, 9, 180, 201, 3600):
        steps = range(1, steps_for(peak) + 1)
        # Every count from 1 to the peak falls in exactly one step, in order, and the top step is darkest.
        covered = [n for k in steps for n in range(step_bounds(k, peak)[0], step_bounds(k, peak)[1] + 1)]
        assert covered == list(range(1, peak + 1))
        assert all(level(n, peak) == k for k in steps for n in range(*step_bounds(k, peak)))
        assert palette_index(steps_for(peak), peak) == len(COLOURS) - 1
        assert sorted({palette_index(k, peak) for k in steps}) == [palette_index(k, peak) for k in steps]


def test_text_on_every_colour_reads_at_wcag_aa() -> None:
    def lum(colour: str) -> float:
        rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    for palette, inks in ((COLOURS, TEXT_ON), (DARK_COLOURS, DARK_TEXT_ON)):
        for colour, ink in zip(palette, inks, strict=True):
            hi, lo = sorted((lum(colour), lum(ink)), reverse=True)
            assert (hi + 0.05) / (lo + 0.05) >= 4.5, (colour, ink)


def test_cells_use_the_legend_colours() -> None:
    root = render_svg("0 */20 8-18 * * MON-FRI", "Europe/Berlin")
    for r in cells(root):
        lv = int(r.get("data-level", "-1"))
        assert r.get("fill") == COLOURS[lv] and r.get("class") == f"hm-l{lv}"
        assert lv == palette_index(level(int(r.get("data-count", "0")), 3), 3)


def test_combined_map_colours_schedules_so_a_busy_one_does_not_drown_the_rest() -> None:
    end = NOW + timedelta(days=7)
    busy = count_cron_fires(CronSpec.parse("*/20 * * * * *", "UTC"), "UTC", NOW, end)
    daily = count_cron_fires(CronSpec.parse("0 30 9 * * *", "UTC"), "UTC", NOW, end)
    both = total([busy, daily], "UTC", NOW, end)
    pic = picture(both, "All", schedules_per_hour=schedules_firing([busy, daily], "UTC", NOW, end))
    nine = next(c for c in pic.cells if c.day == 3 and c.hour == 9)
    ten = next(c for c in pic.cells if c.day == 3 and c.hour == 10)
    assert nine.count == 181 and ten.count == 180
    assert nine.level > ten.level  # the daily job shows through the every-20-seconds one
    assert nine.tooltip == "Thu 09:00–10:00 UTC: 2 schedules, 181 fires"
    assert pic.scale_note.startswith("Colour: schedules firing in the hour")


def test_the_picture_scales_with_the_page() -> None:
    root = render_svg("0 0 9 * * *", "UTC")
    assert root.get("width") is None and root.get("height") is None and root.get("viewBox")
    hours = [t.text for t in root.iter(f"{SVG}text") if "hour" in (t.get("class") or "")]
    assert hours == ["00", "03", "06", "09", "12", "15", "18", "21"]
    assert int(root.get("font-size", "0")) >= 16

"""Layout of the weekday × hour heat map picture: cell positions, colour steps, legend and tooltip texts.

The SVG itself is the `heatmap.svg.j2` template; this module decides every number in it. The scale is
anchored at zero and linear: with n steps (one per count up to `STEPS`, else `STEPS`), step k holds the
counts in (peak·(k−1)/n, peak·k/n], and the legend writes each step's numbers inside its swatch, so
200 and 201 fires share a colour. A schedule's
map colours its fires per hour; the combined map colours how many schedules fire in the hour (each
counts once), so that an every-20-seconds job does not drown the daily ones — its tooltips still give
the fire counts. The picture has a viewBox and no fixed size: it scales with the page. Colours come
from CSS classes (`l0`…`l4`, with a dark palette under `prefers-color-scheme: dark`); the `fill`
attributes are the light palette, for viewers without CSS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from symbi_lang.docs.heatmap import DAYS, HOURS, FireCounts

__all__ = [
    "COLOURS",
    "DARK_COLOURS",
    "DARK_TEXT_ON",
    "STEPS",
    "TEXT_ON",
    "Cell",
    "HeatMapPicture",
    "LegendStep",
    "level",
    "palette_index",
    "picture",
    "step_bounds",
    "steps_for",
]

DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: At most this many colour steps above zero (each labelled with its numbers in the legend).
STEPS = 8


def _mix(a: str, b: str, t: float) -> str:
    pa, pb = (tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (a, b))
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(pa, pb, strict=True))


def _luminance(colour: str) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _ink(colour: str) -> str:
    """Black or white, whichever contrasts more with `colour` (always ≥ 4.58:1 by WCAG's formula)."""
    return "#000000" if (_luminance(colour) + 0.05) ** 2 > 1.05 * 0.05 else "#ffffff"


#: Palette index 0 (nothing), then `STEPS` colours up to the busiest hour; light and dark palettes.
COLOURS = ("#ebedf0", *(_mix("#c6dbef", "#08306b", i / (STEPS - 1)) for i in range(STEPS)))
DARK_COLOURS = ("#2d333b", *(_mix("#0f3057", "#cfe8ff", i / (STEPS - 1)) for i in range(STEPS)))
#: Text written over each colour (legend numbers): WCAG contrast ≥ 4.5:1, also checked in a browser test.
TEXT_ON = tuple(_ink(c) for c in COLOURS)
DARK_TEXT_ON = tuple(_ink(c) for c in DARK_COLOURS)
CELL = 28
GAP = 3
PITCH = CELL + GAP
LEFT = 52
TOP = 100
FONT = 22
SWATCH_W = 84
SWATCH_H = 32
LEGEND_FONT = 17
LEGEND_LEFT = 4


@dataclass(frozen=True, slots=True)
class Cell:
    x: int
    y: int
    level: int
    fill: str
    count: int
    day: int
    hour: int
    tooltip: str


@dataclass(frozen=True, slots=True)
class LegendStep:
    """One colour of the scale with the numbers it stands for (written inside the swatch)."""

    x: int
    level: int
    fill: str
    text_fill: str
    label: str
    tooltip: str


@dataclass(frozen=True, slots=True)
class HeatMapPicture:
    """Everything the SVG template draws."""

    title: str
    caption: str
    scale_note: str
    cell: int
    font: int
    width: int
    height: int
    cells: tuple[Cell, ...]
    day_labels: tuple[tuple[int, str], ...]  # (y of the text baseline, label)
    hour_labels: tuple[tuple[int, str], ...]  # (x of the text centre, label)
    hour_label_y: int
    legend: tuple[LegendStep, ...]
    legend_note_y: int
    legend_y: int
    swatch_width: int
    swatch_height: int
    legend_font: int
    total: int
    peak: int
    timezone: str
    colours: tuple[str, ...] = COLOURS
    dark_colours: tuple[str, ...] = DARK_COLOURS
    text_on: tuple[str, ...] = TEXT_ON
    dark_text_on: tuple[str, ...] = DARK_TEXT_ON


def steps_for(peak: int) -> int:
    """How many colour steps the scale has: one per count while the busiest value is small (1, 2, 3 …),
    else `STEPS` equal ranges from zero."""
    return max(1, min(peak, STEPS))


def level(value: int, peak: int) -> int:
    """The step (0: nothing, 1 … `steps_for(peak)`) of `value` on the zero-anchored linear scale."""
    if value <= 0:
        return 0
    n = steps_for(peak)
    return min(n, math.ceil(n * value / max(peak, 1)))


def step_bounds(step: int, peak: int) -> tuple[int, int]:
    """The smallest and largest count of `step`; `lo > hi` for a step no integer falls in."""
    n, top = steps_for(peak), max(peak, 1)
    return math.floor(top * (step - 1) / n) + 1, math.floor(top * step / n)


def palette_index(step: int, peak: int) -> int:
    """The colour of `step`: spread over the palette so that the top step is always the darkest."""
    return 0 if step == 0 else round(step * STEPS / steps_for(peak))


def _fires(n: int) -> str:
    return f"{n:,} fire" if n == 1 else f"{n:,} fires"


def _schedules(n: int) -> str:
    return f"{n} schedule" if n == 1 else f"{n} schedules"


def _range(lo: int, hi: int) -> str:
    return f"{lo}" if lo == hi else f"{lo}–{hi}"


def picture(
    counts: FireCounts, title: str, *, schedules_per_hour: FireCounts | None = None
) -> HeatMapPicture:
    """The heat map of `counts`, headed `title`; with `schedules_per_hour` (the combined map) the colour
    shows how many schedules fire in each hour and the tooltips give both numbers."""
    shade = schedules_per_hour or counts
    peak = shade.peak
    unit = _schedules if schedules_per_hour is not None else _fires
    cells = []
    for day in range(DAYS):
        for hour in range(HOURS):
            fires = counts.cells[day][hour]
            lv = palette_index(level(shade.cells[day][hour], peak), peak)
            where = f"{DAY_LABELS[day]} {hour:02d}:00–{(hour + 1) % 24:02d}:00 {counts.timezone}"
            what = _fires(fires)
            if schedules_per_hour is not None:
                what = f"{_schedules(schedules_per_hour.cells[day][hour])}, {what}"
            cells.append(
                Cell(
                    LEFT + hour * PITCH,
                    TOP + day * PITCH,
                    lv,
                    COLOURS[lv],
                    fires,
                    day,
                    hour,
                    f"{where}: {what}",
                )
            )
    legend_note_y = TOP + DAYS * PITCH + 30
    legend_y = legend_note_y + 10
    legend = [LegendStep(LEGEND_LEFT, 0, COLOURS[0], TEXT_ON[0], "0", f"no {unit(0).split(' ', 1)[1]}")]
    for step in range(1, steps_for(peak) + 1):
        lo, hi = step_bounds(step, peak)
        label = _range(lo, hi) if lo <= hi else "–"
        tooltip = f"{label} {unit(hi).split(' ', 1)[1]} per hour" if lo <= hi else "(no count falls here)"
        lv = palette_index(step, peak)
        legend.append(
            LegendStep(LEGEND_LEFT + step * (SWATCH_W + GAP), lv, COLOURS[lv], TEXT_ON[lv], label, tooltip)
        )
    if schedules_per_hour is not None:
        note = "Colour: schedules firing in the hour (each counts once)"
    else:
        note = "Colour: fires in the hour (linear scale from 0)"
    width = LEFT + HOURS * PITCH + 8
    return HeatMapPicture(
        title=title,
        caption=f"{_fires(counts.total)} in the coming week ({counts.timezone} time); "
        f"busiest hour: {_fires(counts.peak)}",
        scale_note=note,
        cell=CELL,
        font=FONT,
        width=width,
        height=legend_y + SWATCH_H + 8,
        cells=tuple(cells),
        day_labels=tuple((TOP + d * PITCH + CELL // 2 + FONT // 3, DAY_LABELS[d]) for d in range(DAYS)),
        hour_labels=tuple((LEFT + h * PITCH + CELL // 2, f"{h:02d}") for h in range(0, HOURS, 3)),
        hour_label_y=TOP - 8,
        legend=tuple(legend),
        legend_note_y=legend_note_y,
        legend_y=legend_y,
        swatch_width=SWATCH_W,
        swatch_height=SWATCH_H,
        legend_font=LEGEND_FONT,
        total=counts.total,
        peak=peak,
        timezone=counts.timezone,
    )

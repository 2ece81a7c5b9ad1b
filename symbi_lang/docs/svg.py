"""Layout of the weekday × hour heat map picture: cell positions, colours and tooltip texts.

The SVG itself is the `heatmap.svg.j2` template; this module decides every number in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from symbi_lang.docs.heatmap import DAYS, HOURS, FireCounts

__all__ = ["COLOURS", "Cell", "HeatMapPicture", "LegendBox", "levels", "picture"]

DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
COLOURS = ("#ebedf0", "#c6dbef", "#6baed6", "#2171b5", "#08306b")  # 0, then four levels up to the peak
CELL = 16
GAP = 2
LEFT = 36
TOP = 44
PITCH = CELL + GAP


@dataclass(frozen=True, slots=True)
class Cell:
    x: int
    y: int
    fill: str
    count: int
    day: int
    hour: int
    tooltip: str


@dataclass(frozen=True, slots=True)
class LegendBox:
    x: int
    fill: str
    tooltip: str


@dataclass(frozen=True, slots=True)
class HeatMapPicture:
    """Everything the SVG template draws."""

    title: str
    caption: str
    cell: int
    width: int
    height: int
    cells: tuple[Cell, ...]
    day_labels: tuple[tuple[int, str], ...]  # (y of the text baseline, label)
    hour_labels: tuple[tuple[int, str], ...]  # (x of the text centre, label)
    legend: tuple[LegendBox, ...]
    legend_y: int
    legend_less_x: int
    legend_more_x: int
    total: int
    peak: int
    timezone: str


def levels(values: list[int]) -> dict[int, int]:
    """Colour level per count: 0 for no fires, else 1–4 by rank among the distinct non-zero counts.

    Ranks rather than proportions, so a busy every-20-seconds job does not flatten the hours other jobs
    add to; the legend gives the counts each level stands for.
    """
    distinct = sorted({v for v in values if v > 0})
    out = {0: 0}
    for rank, value in enumerate(distinct):
        out[value] = math.ceil(4 * (rank + 1) / len(distinct))
    return out


def _fires(n: int) -> str:
    return f"{n} fire" if n == 1 else f"{n} fires"


def picture(counts: FireCounts, title: str) -> HeatMapPicture:
    """The heat map of `counts`, headed `title`."""
    peak = counts.peak
    flat = [v for row in counts.cells for v in row]
    level = levels(flat)
    cells = tuple(
        Cell(
            x=LEFT + hour * PITCH,
            y=TOP + day * PITCH,
            fill=COLOURS[level[counts.cells[day][hour]]],
            count=counts.cells[day][hour],
            day=day,
            hour=hour,
            tooltip=f"{DAY_LABELS[day]} {hour:02d}:00–{(hour + 1) % 24:02d}:00 {counts.timezone}: "
            f"{_fires(counts.cells[day][hour])}",
        )
        for day in range(DAYS)
        for hour in range(HOURS)
    )
    legend_y = TOP + DAYS * PITCH + 12
    legend_x = LEFT + 40
    legend = []
    for i, fill in enumerate(COLOURS):
        members = sorted(v for v, lv in level.items() if lv == i)
        if i == 0:
            text = "no fires"
        elif not members:
            text = "(unused)"
        elif members[0] == members[-1]:
            text = f"{_fires(members[0])} per hour"
        else:
            text = f"{members[0]}–{members[-1]} fires per hour"
        legend.append(LegendBox(legend_x + i * PITCH, fill, text))
    width = LEFT + HOURS * PITCH + 8
    return HeatMapPicture(
        title=title,
        caption=f"{_fires(counts.total)} in the coming week ({counts.timezone} time); "
        f"busiest hour: {_fires(peak)}",
        cell=CELL,
        width=width,
        height=legend_y + CELL + 26,
        cells=cells,
        day_labels=tuple((TOP + d * PITCH + CELL - 4, DAY_LABELS[d]) for d in range(DAYS)),
        hour_labels=tuple((LEFT + h * PITCH + CELL // 2, f"{h:02d}") for h in range(0, HOURS, 3)),
        legend=tuple(legend),
        legend_y=legend_y,
        legend_less_x=legend_x - 6,
        legend_more_x=legend_x + len(COLOURS) * PITCH + 4,
        total=counts.total,
        peak=peak,
        timezone=counts.timezone,
    )

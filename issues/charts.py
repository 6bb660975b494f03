"""Server-rendered SVG charts for the reports page: the geometry is computed here and
templates/issues/_chart.html draws it. No JavaScript and no inline styles (the CSP
forbids them): colours come from CSS classes per status category or priority."""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 10, 46


@dataclass
class Series:
    name: str
    css: str
    values: list[float]
    fmt: object = str  # how a value reads in tooltips


@dataclass
class Chart:
    title: str
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[dict] = field(default_factory=list)
    ticks: list[dict] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)
    legend: list[Series] = field(default_factory=list)
    baseline: float = HEIGHT - BOTTOM


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def columns(title: str, categories: list[str], series: list[Series], *, stacked: bool,
            tick_fmt=str) -> Chart:  # fmt: skip
    """Vertical columns per category: stacked, or side by side (grouped)."""
    chart = Chart(title=title, legend=series)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(categories), 1)
    if stacked:
        top = max((sum(s.values[i] or 0 for s in series) for i in range(len(categories))),
                  default=0)  # fmt: skip
    else:
        top = max((v or 0 for s in series for v in s.values), default=0)
    top = _nice_max(top)
    slot = plot_w / n
    bar_w = slot * 0.8 / (1 if stacked else max(len(series), 1))
    for i, category in enumerate(categories):
        x0 = LEFT + i * slot + slot * 0.1
        base = 0.0
        for j, s in enumerate(series):
            value = s.values[i] or 0
            h = plot_h * value / top
            x = x0 if stacked else x0 + j * bar_w
            y = TOP + plot_h - h - (plot_h * base / top if stacked else 0)
            if value:
                chart.bars.append({"x": round(x, 2), "y": round(y, 2), "w": round(bar_w, 2),
                                   "h": round(h, 2), "css": s.css,
                                   "title": f"{category} · {s.name}: {s.fmt(value)}"})  # fmt: skip
            if stacked:
                base += value
        every = max(1, n // 14)
        if i % every == 0:
            chart.labels.append({"x": round(LEFT + i * slot + slot / 2, 2),
                                 "y": HEIGHT - BOTTOM + 14, "text": category})  # fmt: skip
    for k in range(5):
        value = top * k / 4
        chart.ticks.append({"y": round(TOP + plot_h - plot_h * k / 4, 2), "text": tick_fmt(value)})
    return chart


def in_days(value: float) -> str:
    return f"{round(value, 1):g} d"


def in_hours(value: float) -> str:
    return f"{round(value, 1):g} h"


def count(value: float) -> str:
    return f"{value:g}"

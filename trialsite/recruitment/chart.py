"""Geometry for the server-rendered SVG chart of cumulative enrollment against target.

No JavaScript and nothing from another host: the template draws the shapes computed here,
and a table beside it carries the same numbers for screen readers and print.
"""

from __future__ import annotations

from dataclasses import dataclass

from trialsite.recruitment.metrics import MonthPoint

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 36


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: str  # polyline of cumulative enrolled
    bars: list[tuple[float, float, float, float, str]]  # x, y, w, h, title (monthly enrolled)
    target_y: float | None
    target: int | None
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    baseline_y: float
    left: int
    right_x: int


def enrollment_chart(points: list[MonthPoint], target: int | None) -> Chart | None:
    """Scale the monthly series into the SVG box; None when there is nothing to draw."""
    if not points:
        return None
    top_value = max([p.cumulative for p in points] + [target or 0, 1])
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    step = plot_w / len(points)

    def y(value: float) -> float:
        return round(TOP + plot_h - value * plot_h / top_value, 1)

    coords = []
    bars = []
    for i, p in enumerate(points):
        cx = round(LEFT + step * i + step / 2, 1)
        coords.append(f"{cx},{y(p.cumulative)}")
        bar_w = max(round(step * 0.5, 1), 1.0)
        bars.append(
            (
                round(cx - bar_w / 2, 1),
                y(p.enrolled),
                bar_w,
                round(y(0) - y(p.enrolled), 1),
                f"{p.month:%b %Y}: {p.enrolled}",
            )
        )
    every = max(1, len(points) // 8)
    x_ticks = [
        Tick(round(LEFT + step * i + step / 2, 1), HEIGHT - BOTTOM + 16, f"{p.month:%b %y}")
        for i, p in enumerate(points)
        if i % every == 0 or i == len(points) - 1
    ]
    y_ticks = [Tick(LEFT - 6, y(v), str(v)) for v in sorted({0, top_value // 2, top_value})]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        points=" ".join(coords),
        bars=bars,
        target_y=y(target) if target else None,
        target=target,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        baseline_y=y(0),
        left=LEFT,
        right_x=WIDTH - RIGHT,
    )

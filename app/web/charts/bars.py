"""Bar charts: demand per bucket (with negative bars), and bars with a line on a second axis."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from app.web.charts.frame import Frame, close, fmt_axis, grid_divisions, nice_ceiling, nice_max, points, x_label, y_grid, y_scale

MIN_TICK_GAP = 56  # user units between two axis labels
BAR_COLOUR, LINE_COLOUR = "#8fc1b1", "#1f6f5c"


@dataclass(frozen=True)
class Bar:
    label: str  # tooltip, e.g. "2026-03-02: 14"
    value: int
    tick: str | None = None  # axis label under this bar (None = no label)


def bar_chart(bars: Sequence[Bar], *, title: str, width: int = 960, height: int = 220, empty_text: str = "") -> Markup:
    """A bar chart with a zero line, round grid lines and tick labels that never overlap.

    Negative values (more returns than shipments) draw below the zero line in another colour;
    with no data (or only zeros) `empty_text` is shown in the middle.
    """
    frame = Frame(width, height, 44, 8, 10, 26)
    parts = frame.open(title)
    top_value = nice_ceiling(max((b.value for b in bars), default=0))
    low_value = -nice_ceiling(-min(b.value for b in bars)) if bars and min(b.value for b in bars) < 0 else 0
    span = top_value - low_value
    y = y_scale(frame, low_value, top_value)
    divisions = grid_divisions(span)
    parts += y_grid(frame, [low_value + span * i / divisions for i in range(divisions + 1)], y)
    if not bars or all(b.value == 0 for b in bars):
        parts.append(f'<text x="{frame.left + frame.plot_w / 2:.1f}" y="{frame.top + frame.plot_h / 2:.1f}" '
                     f'text-anchor="middle" class="empty-note">{escape(empty_text)}</text>')
    slot = frame.plot_w / max(len(bars), 1)
    bar_w = max(slot * 0.78, 1.0)
    last_tick_x = -1e9
    for i, b in enumerate(bars):
        x = frame.left + i * slot + (slot - bar_w) / 2
        if b.value:
            y0, y1 = sorted((y(0), y(b.value)))
            cls = "bar" if b.value > 0 else "bar neg"
            parts.append(f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar_w:.1f}" height="{max(y1 - y0, 0.5):.1f}" '
                         f'class="{cls}"><title>{escape(b.label)}</title></rect>')
        if b.tick and x - last_tick_x >= MIN_TICK_GAP:  # never let two labels overlap
            last_tick_x = x
            parts.append(x_label(x + bar_w / 2, height - 8, b.tick))
    parts.append(f'<line x1="{frame.left}" x2="{frame.plot_right}" y1="{y(0):.1f}" y2="{y(0):.1f}" class="zero"/>')
    return close(parts)


def month_ticks(starts: Sequence[dt.date]) -> list[str | None]:
    """A tick label (YYYY-MM) at the first bucket of each month, None elsewhere."""
    out: list[str | None] = []
    seen: set[tuple[int, int]] = set()
    for d in starts:
        key = (d.year, d.month)
        out.append(None if key in seen else f"{d:%Y-%m}")
        seen.add(key)
    return out


def bar_line_chart(labels: Sequence[str], bars: Sequence[float], line: Sequence[float], *, bar_name: str,
                   line_name: str, title: str) -> Markup:
    """Bars (left axis) and a line (right axis) over the same categories, each with a tooltip.

    Raises ValueError when the three sequences differ in length.
    """
    if not (len(labels) == len(bars) == len(line)):
        raise ValueError("labels, bars and line need the same length")
    frame = Frame(760, 260, 56, 56, 16, 34)
    bar_max, line_max = nice_max(max(bars, default=0)), nice_max(max(line, default=0))
    y, y_line = y_scale(frame, 0, bar_max), y_scale(frame, 0, line_max)
    parts = frame.open(title)
    parts += y_grid(frame, [bar_max * i / 4 for i in range(4, -1, -1)], y,
                    right=lambda v: fmt_axis(v * line_max / bar_max), right_colour=LINE_COLOUR)
    slot = frame.plot_w / max(len(labels), 1)
    dots = []
    for i, (label, b, v) in enumerate(zip(labels, bars, line, strict=True)):
        x = frame.left + slot * i
        parts.append(f'<rect x="{x + slot * 0.18:.1f}" y="{y(b):.1f}" width="{slot * 0.64:.1f}" '
                     f'height="{y(0) - y(b):.1f}" rx="2" fill="{BAR_COLOUR}"><title>{escape(label)}: '
                     f'{escape(bar_name)} {b:,.0f}</title></rect>')
        parts.append(x_label(x + slot / 2, frame.height - 12, label))
        dots.append((x + slot / 2, y_line(v), label, v))
    if dots:
        parts.append(f'<polyline points="{points([(x, yy) for x, yy, _l, _v in dots])}" fill="none" '
                     f'stroke="{LINE_COLOUR}" stroke-width="2.5"/>')
        for x, yy, label, v in dots:
            parts.append(f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="3.5" fill="{LINE_COLOUR}"><title>{escape(label)}: '
                         f'{escape(line_name)} {v:,.0f}</title></circle>')
    return close(parts)

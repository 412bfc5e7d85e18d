"""A small server-side SVG chart (bars + line), so the dashboard needs no JavaScript or CDN.

Pure: data in, SVG markup out. Every text is escaped.
"""
from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 56, 16, 34


TICKS = 4


def nice_max(value: float) -> float:
    """A round axis maximum ≥ value: TICKS × a whole tick of 1, 2 or 5 × 10^n."""
    if value <= 0:
        return float(TICKS)
    per_tick = value / TICKS
    magnitude = 10 ** max(len(str(int(per_tick))) - 1, 0)
    for step in (1, 2, 5, 10):
        if per_tick <= step * magnitude:
            return float(TICKS * step * magnitude)
    return float(TICKS * 10 * magnitude)


def _fmt(v: float) -> str:
    if v >= 1_000_000:
        return f"{v / 1_000_000:g}M"
    if v >= 1_000:
        return f"{v / 1_000:g}k"
    return f"{v:g}"


def bar_line_chart(labels: Sequence[str], bars: Sequence[float], line: Sequence[float], *, bar_name: str,
                   line_name: str, title: str) -> str:
    """Bars (left axis) and a line (right axis) over the same categories."""
    if not (len(labels) == len(bars) == len(line)):
        raise ValueError("labels, bars and line need the same length")
    n = max(len(labels), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bar_max, line_max = nice_max(max(bars, default=0)), nice_max(max(line, default=0))
    slot = plot_w / n
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>']
    for i in range(5):
        y = TOP + plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e8e6"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#5f6b66">'
                     f'{_fmt(bar_max * (4 - i) / 4)}</text>')
        parts.append(f'<text x="{WIDTH - RIGHT + 6}" y="{y + 4:.1f}" font-size="11" fill="#1f6f5c">'
                     f'{_fmt(line_max * (4 - i) / 4)}</text>')
    points = []
    for i, (label, b, v) in enumerate(zip(labels, bars, line, strict=True)):
        x = LEFT + slot * i
        h = plot_h * b / bar_max
        parts.append(f'<rect x="{x + slot * 0.18:.1f}" y="{TOP + plot_h - h:.1f}" width="{slot * 0.64:.1f}" '
                     f'height="{h:.1f}" rx="2" fill="#8fc1b1"><title>{escape(label)}: {escape(bar_name)} '
                     f'{b:,.0f}</title></rect>')
        parts.append(f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - 12}" text-anchor="middle" font-size="11" '
                     f'fill="#5f6b66">{escape(label)}</text>')
        points.append((x + slot / 2, TOP + plot_h - plot_h * v / line_max, label, v))
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _l, _v in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1f6f5c" stroke-width="2.5"/>')
        for x, y, label, v in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#1f6f5c"><title>{escape(label)}: '
                         f'{escape(line_name)} {v:,.0f}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)

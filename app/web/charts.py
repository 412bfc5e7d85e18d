"""Server-side SVG charts: pure functions from numbers to an SVG string (no JS, no CDN).

The output is safe to embed: every text is escaped. Sizes are in SVG user units; the
chart scales to its container through `viewBox`.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Bar:
    label: str  # tooltip, e.g. "2026-03-02: 14"
    value: int
    tick: str | None = None  # axis label under this bar (None = no label)


def nice_ceiling(value: float) -> int:
    """A round axis maximum ≥ value: 1, 2, 5 × 10^n (at least 1)."""
    if value <= 1:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * exp:
            return int(step * exp)
    return int(10 * exp)  # pragma: no cover - the loop always returns


MIN_TICK_GAP = 56  # user units between two axis labels


def grid_divisions(span: int) -> int:
    """How many grid intervals split `span` (a nice_ceiling value, or a sum of two) into round steps."""
    if span <= 5:
        return max(span, 1)
    for n in (5, 4, 2):
        if span % n == 0 and (span // n) % (1 if span < 50 else 5) == 0:
            return n
    return 1


def bar_chart(bars: Sequence[Bar], *, title: str, width: int = 960, height: int = 220, empty_text: str = "") -> Markup:
    """A bar chart with a zero line, three grid lines and tick labels.

    Negative values (more returns than shipments) draw below the zero line in another colour.
    """
    left, right, top, bottom = 44, 8, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    top_value = nice_ceiling(max((b.value for b in bars), default=0))
    low_value = -nice_ceiling(-min(b.value for b in bars)) if bars and min(b.value for b in bars) < 0 else 0
    span = top_value - low_value

    def y(v: float) -> float:
        return top + plot_h * (top_value - v) / span

    divisions = grid_divisions(span)
    for i in range(divisions + 1):
        v = low_value + span * i / divisions
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" class="axis">{round(v)}</text>')
    if not bars or all(b.value == 0 for b in bars):
        parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
                     f'class="empty-note">{escape(empty_text)}</text>')
    slot = plot_w / max(len(bars), 1)
    bar_w = max(slot * 0.78, 1.0)
    last_tick_x = -1e9
    for i, b in enumerate(bars):
        x = left + i * slot + (slot - bar_w) / 2
        if b.value:
            y0, y1 = sorted((y(0), y(b.value)))
            cls = "bar" if b.value > 0 else "bar neg"
            parts.append(f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar_w:.1f}" height="{max(y1 - y0, 0.5):.1f}" '
                         f'class="{cls}"><title>{escape(b.label)}</title></rect>')
        if b.tick and x - last_tick_x >= MIN_TICK_GAP:  # never let two labels overlap
            last_tick_x = x
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 8}" text-anchor="middle" class="axis">'
                         f"{escape(b.tick)}</text>")
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" class="zero"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def month_ticks(starts: Sequence[dt.date]) -> list[str | None]:
    """A tick label ("Mar 26" style, as YYYY-MM) at the first bucket of each month, None elsewhere."""
    out: list[str | None] = []
    seen: set[tuple[int, int]] = set()
    for d in starts:
        key = (d.year, d.month)
        out.append(None if key in seen else f"{d:%Y-%m}")
        seen.add(key)
    return out

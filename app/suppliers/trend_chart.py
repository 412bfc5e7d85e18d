"""Server-side SVG line charts (no JavaScript, no CDN): a pure function of the numbers."""
from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#1f6f5c", "#b26a00", "#1a4fa0", "#b3261e")


def line_chart_svg(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
    y_max: float = 100.0, width: int = 640, height: int = 220, title: str = "",
) -> str:
    """An SVG line chart of `series` (name, values per label) on a 0..y_max axis.

    Missing values (None) break the line. Returns SVG markup; every text is escaped.
    """
    left, right, top, bottom = 40, 28, 16, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(labels)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - max(0.0, min(v, y_max)) / y_max)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}">']
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    for tick in range(0, 5):
        v = y_max * tick / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e4e8e6"/>'
                     f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end" fill="#5f6b66">'
                     f"{v:g}</text>")
    step = max(1, n // 12)
    for i, label in enumerate(labels):
        if i % step == 0 or i == n - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" font-size="10" text-anchor="middle" '
                         f'fill="#5f6b66">{escape(label)}</text>')
    for k, (name, values) in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                runs.append([])
                continue
            runs[-1].append(f"{x(i):.1f},{y(v):.1f}")
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{color}">'
                         f"<title>{escape(name)} {escape(labels[i])}: {v:g}</title></circle>")
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(run)}"/>')
        parts.append(f'<rect x="{left + 110 * k}" y="{height - 12}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{left + 110 * k + 14}" y="{height - 3}" font-size="11" fill="#1d2521">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)

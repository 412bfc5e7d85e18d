"""A forecast chart as server-side SVG: no JavaScript, no internet, works under a strict CSP.

Pure: data in, SVG markup out (text escaped). Shows the demand history, the forecast with
its 80 % and 95 % intervals as nested bands, the reorder point as a horizontal line, a
vertical line where the forecast starts, and an optional note (the suggested order).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import escape

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 28, 30
COLOURS = {"history": "#1f4e79", "forecast": "#c2410c", "band80": "#fdba74", "band95": "#ffedd5",
           "reorder": "#b91c1c", "grid": "#e5e7eb", "text": "#374151"}
DEFAULT_LABELS = {"title": "Demand and forecast", "reorder_point": "reorder point", "today": "forecast starts"}


@dataclass(frozen=True)
class ForecastDay:
    ds: dt.date
    yhat: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def forecast_chart_svg(
    history: Sequence[tuple[dt.date, float]], forecast: Sequence[ForecastDay], *,
    reorder_point: float | None = None, note: str | None = None, labels: Mapping[str, str] | None = None,
) -> str:
    """SVG markup of the chart; ``labels`` overrides :data:`DEFAULT_LABELS` (translated text).

    Days run left to right over ``history`` then ``forecast`` (each assumed in date order);
    the y axis starts at 0 and ends above the highest value shown (at least 1).
    """
    text = {**DEFAULT_LABELS, **(labels or {})}
    days = [d for d, _ in history] + [f.ds for f in forecast]
    if not days:
        days = [dt.date.today()]
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    peak = max([y for _, y in history] + [f.hi95 for f in forecast] + [reorder_point or 0.0, 1.0])
    top = peak * 1.1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: dt.date) -> float:
        return LEFT + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return TOP + plot_h * (1 - max(value, 0.0) / top)

    def points(pairs: Sequence[tuple[dt.date, float]]) -> str:
        return " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in pairs)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-label="{escape(text["title"])}" class="forecast-chart">',
        f"<title>{escape(text['title'])}</title>",
    ]
    for fraction in (0.0, 0.5, 1.0):
        value = top / 1.1 * fraction
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="{COLOURS["grid"]}"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="{COLOURS["text"]}">{_fmt(value)}</text>')
    if forecast:
        for band, lo, hi in (("band95", "lo95", "hi95"), ("band80", "lo80", "hi80")):
            upper = [(f.ds, getattr(f, hi)) for f in forecast]
            lower = [(f.ds, getattr(f, lo)) for f in reversed(forecast)]
            parts.append(f'<polygon class="{band}" points="{points(upper + lower)}" fill="{COLOURS[band]}" '
                         'stroke="none"/>')
        start = x(forecast[0].ds)
        parts.append(f'<line class="today" x1="{start:.1f}" x2="{start:.1f}" y1="{TOP}" y2="{TOP + plot_h}" '
                     f'stroke="{COLOURS["text"]}" stroke-dasharray="2 3"/>')
        parts.append(f'<text x="{start + 4:.1f}" y="{TOP + 12}" font-size="11" fill="{COLOURS["text"]}">'
                     f"{escape(text['today'])}</text>")
        parts.append(f'<polyline class="forecast" points="{points([(f.ds, f.yhat) for f in forecast])}" '
                     f'fill="none" stroke="{COLOURS["forecast"]}" stroke-width="2" stroke-dasharray="6 3"/>')
    if history:
        parts.append(f'<polyline class="history" points="{points(list(history))}" fill="none" '
                     f'stroke="{COLOURS["history"]}" stroke-width="1.5"/>')
    if reorder_point is not None:
        level = y(reorder_point)
        parts.append(f'<line class="reorder-point" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{level:.1f}" '
                     f'y2="{level:.1f}" stroke="{COLOURS["reorder"]}" stroke-dasharray="8 4"/>')
        parts.append(f'<text x="{WIDTH - RIGHT - 4}" y="{level - 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="{COLOURS["reorder"]}">{escape(text["reorder_point"])} {_fmt(reorder_point)}</text>')
    for day, anchor in ((first, "start"), (last, "end")):
        parts.append(f'<text x="{x(day):.1f}" y="{HEIGHT - 10}" text-anchor="{anchor}" font-size="11" '
                     f'fill="{COLOURS["text"]}">{day.isoformat()}</text>')
    if note:
        parts.append(f'<text class="note" x="{LEFT}" y="16" font-size="12" font-weight="600" '
                     f'fill="{COLOURS["text"]}">{escape(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)

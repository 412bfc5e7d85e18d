"""Line charts: monthly trends of several series, and demand history with its forecast."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from app.web.charts.frame import Frame, Scale, close, fmt_value, points, x_label, y_grid, y_scale

PALETTE = ("#1f6f5c", "#b26a00", "#1a4fa0", "#b3261e")
FORECAST_FRAME = Frame(760, 280, 48, 16, 28, 30)
FORECAST_COLOURS = {"history": "#1f4e79", "forecast": "#c2410c", "band80": "#fdba74", "band95": "#ffedd5",
                    "reorder": "#b91c1c", "text": "#374151"}
FORECAST_LABELS = {"title": "Demand and forecast", "reorder_point": "reorder point", "today": "forecast starts"}


def trend_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
                y_max: float = 100.0, width: int = 640, height: int = 220, title: str = "") -> Markup:
    """A line per series (name, one value per label) on a 0..y_max axis, with a legend.

    Values outside the axis are clamped to it; a missing value (None) breaks the line.
    """
    frame = Frame(width, height, 40, 28, 16, 34)
    n = len(labels)
    x = Scale(0, max(n - 1, 0), frame.left, frame.plot_right)  # a single label sits in the middle
    y = y_scale(frame, 0, y_max, clamp=True)
    parts = frame.open(title)
    parts += y_grid(frame, [y_max * tick / 4 for tick in range(5)], y)
    step = max(1, n // 12)
    parts += [x_label(x(i), frame.plot_bottom + 16, label) for i, label in enumerate(labels)
              if i % step == 0 or i == n - 1]
    for k, (name, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                runs.append([])
                continue
            runs[-1].append((x(i), y(v)))
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}">'
                         f"<title>{escape(name)} {escape(labels[i])}: {v:g}</title></circle>")
        parts += [f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points(run)}"/>'
                  for run in runs if len(run) > 1]
        parts.append(f'<rect x="{frame.left + 110 * k}" y="{height - 12}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{frame.left + 110 * k + 14}" y="{height - 3}" font-size="11" fill="#1d2521">'
                     f"{escape(name)}</text>")
    return close(parts)


@dataclass(frozen=True)
class ForecastDay:
    ds: dt.date
    yhat: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


def forecast_chart(history: Sequence[tuple[dt.date, float]], forecast: Sequence[ForecastDay], *,
                   reorder_point: float | None = None, note: str | None = None,
                   labels: Mapping[str, str] | None = None) -> Markup:
    """Demand history, the forecast with its 80 % and 95 % intervals as nested bands, the reorder
    point as a horizontal line, a vertical line where the forecast starts, and an optional note.

    ``labels`` overrides :data:`FORECAST_LABELS` (translated text). Days run left to right over
    ``history`` then ``forecast`` (each in date order); the y axis starts at 0 and ends 10 %
    above the highest value shown (at least 1).
    """
    frame, colours = FORECAST_FRAME, FORECAST_COLOURS
    text = {**FORECAST_LABELS, **(labels or {})}
    days = [d for d, _ in history] + [f.ds for f in forecast] or [dt.date.today()]
    first, last = min(days), max(days)
    peak = max([v for _, v in history] + [f.hi95 for f in forecast] + [reorder_point or 0.0, 1.0])
    day_x = Scale(0, max((last - first).days, 1), frame.left, frame.plot_right)
    y = y_scale(frame, 0, peak * 1.1, clamp=True)

    def path(pairs: Sequence[tuple[dt.date, float]]) -> str:
        return points([(day_x((d - first).days), y(v)) for d, v in pairs])

    parts = frame.open(text["title"], "chart forecast-chart", extra=' width="100%"')
    parts += y_grid(frame, [0.0, peak / 2, peak], y)
    if forecast:
        for band, lo, hi in (("band95", "lo95", "hi95"), ("band80", "lo80", "hi80")):
            edge = [(f.ds, getattr(f, hi)) for f in forecast] + [(f.ds, getattr(f, lo)) for f in reversed(forecast)]
            parts.append(f'<polygon class="{band}" points="{path(edge)}" fill="{colours[band]}" stroke="none"/>')
        start = day_x((forecast[0].ds - first).days)
        parts.append(f'<line class="today" x1="{start:.1f}" x2="{start:.1f}" y1="{frame.top}" '
                     f'y2="{frame.plot_bottom}" stroke="{colours["text"]}" stroke-dasharray="2 3"/>')
        parts.append(f'<text x="{start + 4:.1f}" y="{frame.top + 12}" font-size="11" fill="{colours["text"]}">'
                     f"{escape(text['today'])}</text>")
        parts.append(f'<polyline class="forecast" points="{path([(f.ds, f.yhat) for f in forecast])}" '
                     f'fill="none" stroke="{colours["forecast"]}" stroke-width="2" stroke-dasharray="6 3"/>')
    if history:
        parts.append(f'<polyline class="history" points="{path(history)}" fill="none" '
                     f'stroke="{colours["history"]}" stroke-width="1.5"/>')
    if reorder_point is not None:
        level = y(reorder_point)
        parts.append(f'<line class="reorder-point" x1="{frame.left}" x2="{frame.plot_right}" y1="{level:.1f}" '
                     f'y2="{level:.1f}" stroke="{colours["reorder"]}" stroke-dasharray="8 4"/>')
        parts.append(f'<text x="{frame.plot_right - 4}" y="{level - 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="{colours["reorder"]}">{escape(text["reorder_point"])} {fmt_value(reorder_point)}</text>')
    parts += [x_label(day_x((day - first).days), frame.height - 10, day.isoformat(), anchor)
              for day, anchor in ((first, "start"), (last, "end"))]
    if note:
        parts.append(f'<text class="note" x="{frame.left}" y="16" font-size="12" font-weight="600" '
                     f'fill="{colours["text"]}">{escape(note)}</text>')
    return close(parts)

"""What every chart shares: the frame (size and margins), linear scales, round axis ends,
tick labels, the y grid, and escaped text. Pure; no Flask.

Text is escaped with markupsafe everywhere; charts return `Markup`, safe to embed as is.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

GRID_COLOUR, AXIS_COLOUR = "#e4e8e6", "#5f6b66"


@dataclass(frozen=True)
class Frame:
    """An SVG canvas of `width` × `height` user units with a plot area inside the margins."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def plot_right(self) -> float:
        return self.width - self.right

    @property
    def plot_bottom(self) -> float:
        return self.height - self.bottom

    def open(self, title: str, css_class: str = "chart", *, extra: str = "") -> list[str]:
        """The opening tag (scales through its viewBox) and the accessible title."""
        return [f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" viewBox="0 0 {self.width} '
                f'{self.height}"{extra} role="img" aria-label="{escape(title)}">', f"<title>{escape(title)}</title>"]


@dataclass(frozen=True)
class Scale:
    """Linear map of the domain [lo, hi] onto pixels [px_lo, px_hi]; `clamp` keeps values inside."""

    lo: float
    hi: float
    px_lo: float
    px_hi: float
    clamp: bool = False

    def __call__(self, value: float) -> float:
        if self.clamp:
            value = max(self.lo, min(value, self.hi))
        span = self.hi - self.lo
        return self.px_lo + (self.px_hi - self.px_lo) * ((value - self.lo) / span if span else 0.5)


def y_scale(frame: Frame, lo: float, hi: float, *, clamp: bool = False) -> Scale:
    """Values lo..hi from the bottom of the plot to its top."""
    return Scale(lo, hi, frame.top + frame.plot_h, frame.top, clamp)


def nice_ceiling(value: float) -> int:
    """A round axis maximum ≥ value: 1, 2, 5 × 10^n (at least 1)."""
    if value <= 1:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * exp:
            return int(step * exp)
    return int(10 * exp)  # pragma: no cover - the loop always returns


def nice_max(value: float, ticks: int = 4) -> float:
    """A round axis maximum ≥ value made of `ticks` whole steps of 1, 2 or 5 × 10^n."""
    return float(ticks * nice_ceiling(value / ticks))


def grid_divisions(span: int) -> int:
    """How many grid intervals split `span` (a nice_ceiling value, or a sum of two) into round steps."""
    if span <= 5:
        return max(span, 1)
    for n in (5, 4, 2):
        if span % n == 0 and (span // n) % (1 if span < 50 else 5) == 0:
            return n
    return 1


def fmt_value(value: float) -> str:
    """At most one decimal, no trailing zeros: 10, 2.5."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def fmt_axis(value: float) -> str:
    """An axis label: 950, 12k, 1.5M."""
    for limit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if abs(value) >= limit:
            return f"{value / limit:g}{suffix}"
    return fmt_value(value)


def y_grid(frame: Frame, values: Iterable[float], y: Callable[[float], float], *,
           right: Callable[[float], str] | None = None, right_colour: str = AXIS_COLOUR) -> list[str]:
    """A horizontal grid line and a left label at each value; `right` labels the right axis too."""
    parts = []
    for v in values:
        at = y(v)
        parts.append(f'<line x1="{frame.left}" x2="{frame.plot_right}" y1="{at:.1f}" y2="{at:.1f}" '
                     f'stroke="{GRID_COLOUR}" class="grid"/>')
        parts.append(f'<text x="{frame.left - 6}" y="{at + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="{AXIS_COLOUR}" class="axis">{fmt_axis(v)}</text>')
        if right is not None:
            # no "axis" class: the stylesheet's grey would override the line's colour that ties it to this axis
            parts.append(f'<text x="{frame.plot_right + 6}" y="{at + 4:.1f}" font-size="11" '
                         f'fill="{right_colour}">{escape(right(v))}</text>')
    return parts


def x_label(x: float, y: float, label: str, anchor: str = "middle") -> str:
    """A label under the plot (escaped)."""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="11" fill="{AXIS_COLOUR}" '
            f'class="axis">{escape(label)}</text>')


def points(pairs: Sequence[tuple[float, float]]) -> str:
    """An SVG `points` attribute."""
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in pairs)


def close(parts: list[str]) -> Markup:
    return Markup("".join([*parts, "</svg>"]))  # noqa: S704 (every part was escaped when it was built)

"""The demand process of the demo: expected daily units per product × warehouse.

Expected demand = level × warehouse share × weekday × annual season × promotion ×
trend × life cycle. Realised demand is drawn from it (gamma–Poisson, so the long
tail is intermittent and lumpy). Pure numpy.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from app.seed.catalog import CATEGORIES, WAREHOUSES

# Chinese New Year (first day of the lunar year), as in `forecasting.events`; the history must
# lie within these years (planners' look-ahead past the last one sees no festival).
CHINESE_NEW_YEAR: dict[int, dt.date] = {
    2023: dt.date(2023, 1, 22), 2024: dt.date(2024, 2, 10), 2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17), 2027: dt.date(2027, 2, 6), 2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13), 2030: dt.date(2030, 2, 3),
}
FIRST_YEAR, LAST_YEAR = min(CHINESE_NEW_YEAR), max(CHINESE_NEW_YEAR)

# Monday … Sunday: orders peak after the weekend, dip on Friday and Saturday.
WEEKDAY = np.array([1.15, 1.05, 1.0, 0.97, 0.92, 0.88, 1.03])


def promotion_multiplier(day: dt.date) -> float:
    """How much the big promotion days lift demand on `day` (1.0 = an ordinary day)."""
    m, d = day.month, day.day
    cny = CHINESE_NEW_YEAR.get(day.year)
    cny_offset = (day - cny).days if cny else 999  # the festival never reaches back into December
    if -16 <= cny_offset <= -3:  # New-Year goods festival, building to the holiday
        return 1.5 + 0.06 * (cny_offset + 16)
    if -2 <= cny_offset <= 6:  # couriers stop for the Spring Festival
        return 0.35
    if m == 6 and 1 <= d <= 20:  # 618
        return {16: 2.0, 17: 2.6, 18: 4.0, 19: 0.8, 20: 0.85}.get(d, 1.25)
    if (m == 10 and d >= 24) or (m == 11 and d <= 13):  # Double 11 with its pre-sale
        if m == 11:
            return {1: 2.2, 9: 1.5, 10: 1.8, 11: 6.0, 12: 0.7, 13: 0.8}.get(d, 1.15)
        return 1.2
    if m == 12 and 10 <= d <= 12:  # Double 12
        return {10: 1.3, 11: 1.5, 12: 3.0}[d]
    return 1.0


def season_multiplier(category: int, day_of_year: np.ndarray) -> np.ndarray:
    """Annual season per category: home peaks in spring, health in winter, parenting at school start."""
    angle = 2 * np.pi * day_of_year / 365.25
    if CATEGORIES[category].code == "home":
        return 1 + 0.15 * np.cos(angle - 2 * np.pi * 80 / 365.25)
    if CATEGORIES[category].code == "health":
        return 1 + 0.28 * np.cos(angle - 2 * np.pi * 15 / 365.25)
    return 1 + 0.10 * np.cos(angle - 2 * np.pi * 200 / 365.25) + 0.45 * np.exp(-(((day_of_year - 240) / 12) ** 2))


@dataclass(frozen=True)
class DemandModel:
    """Expected demand and how to draw it.

    `level[s]` is units/day nationally on an ordinary weekday; `factor[t, s]` is the
    day's multiplier (t may run past the history, for forecasts); `share[w]` splits it
    over warehouses; `dispersion[s]` is the gamma shape (small = lumpy).
    """

    level: np.ndarray
    factor: np.ndarray
    share: np.ndarray
    dispersion: np.ndarray
    long_tail: np.ndarray  # bool per product
    cumulative: np.ndarray  # cumulative[t, s] = sum of factor[:t, s]

    def mean(self, t: int) -> np.ndarray:
        """Expected units on day `t`, shape (products, warehouses)."""
        return (self.level * self.factor[t])[:, None] * self.share[None, :]

    def expected(self, first: int, last: int) -> np.ndarray:
        """Expected national units over days [first, last), shape (products,)."""
        return self.level * (self.cumulative[last] - self.cumulative[first])

    def draw(self, rng: np.random.Generator, t: int) -> np.ndarray:
        shape = self.dispersion[:, None]
        noise = rng.gamma(np.broadcast_to(shape, (self.level.size, self.share.size)), 1.0) / shape
        return rng.poisson(self.mean(t) * noise)


def make_demand(
    rng: np.random.Generator, categories: np.ndarray, start: dt.date, days: int, horizon: int
) -> DemandModel:
    """Draw per-product parameters and build the factor matrix for `days + horizon` days."""
    n = categories.size
    total = days + horizon
    dates = [start + dt.timedelta(days=t) for t in range(total)]
    weekday = WEEKDAY[np.array([d.weekday() for d in dates])]
    day_of_year = np.array([d.timetuple().tm_yday for d in dates], dtype=float)
    promo = np.array([promotion_multiplier(d) for d in dates])

    long_tail = rng.random(n) < 0.4
    level = np.where(long_tail, rng.uniform(0.05, 0.8, n), rng.lognormal(1.6, 0.8, n))
    dispersion = np.where(long_tail, rng.uniform(0.2, 0.6, n), rng.uniform(2.0, 8.0, n))
    growth = rng.normal(0.12, 0.25, n)  # per year
    elasticity = np.array([CATEGORIES[c].promo_elasticity for c in categories]) * rng.uniform(0.7, 1.2, n)

    t = np.arange(total)[:, None] / 365.25
    factor = weekday[:, None] * np.exp(growth[None, :] * t)
    factor *= promo[:, None] ** elasticity[None, :]
    seasons = np.stack([season_multiplier(c, day_of_year) for c in range(len(CATEGORIES))], axis=1)
    factor *= seasons[:, categories]

    # Life cycle: some products launch during the history, some are being phased out.
    launch = np.where(rng.random(n) < 0.1, rng.integers(days // 6, max(days // 6 + 1, days * 2 // 3), n), 0)
    fading = (rng.random(n) < 0.06) & ~long_tail & (launch == 0)
    fade_start = days - min(150, days // 2)
    days_index = np.arange(total)[:, None]
    factor *= days_index >= launch[None, :]
    fade = np.clip(1 - (days_index - fade_start) / 60, 0.02, 1)
    factor = np.where(fading[None, :], factor * fade, factor)

    share = np.array([w.demand_share for w in WAREHOUSES])
    cumulative = np.vstack([np.zeros((1, n)), np.cumsum(factor, axis=0)])
    return DemandModel(level=level, factor=factor, share=share, dispersion=dispersion, long_tail=long_tail,
                       cumulative=cumulative)

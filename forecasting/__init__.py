"""Demand forecasting and replenishment for Stockwise — pure functions on pandas frames.

Pipeline: history (validate, fill gaps, classify) → model choice (backtest) → forecast
(with conformal intervals and promotion uplift) → replenishment arithmetic. No Flask, no
SQLAlchemy; the only I/O lives in ``app.planning.job`` (owned by the app). Network planning
over a catalogue (forecasts + stock + terms → suggestions) is :mod:`forecasting.plan`.
"""

from forecasting.events import promotion_days
from forecasting.history import (
    DemandClass,
    classify_demand,
    classify_series,
    fill_gaps,
    validate_history,
)
from forecasting.inventory import LeadTime, ReplenishmentInput, StockPosition, lead_time_from_receipts
from forecasting.network import Suggestion, plan_sku_network, share_shortage
from forecasting.pipeline import ForecastResult, forecast, run_forecast
from forecasting.plan import NetworkInputs, Site, SupplierTerms, plan_network
from forecasting.replenish import Replenishment, replenish
from forecasting.select import select_models

__all__ = [
    "DemandClass",
    "ForecastResult",
    "LeadTime",
    "NetworkInputs",
    "Replenishment",
    "ReplenishmentInput",
    "Site",
    "StockPosition",
    "Suggestion",
    "SupplierTerms",
    "classify_demand",
    "classify_series",
    "fill_gaps",
    "forecast",
    "lead_time_from_receipts",
    "plan_network",
    "plan_sku_network",
    "promotion_days",
    "replenish",
    "run_forecast",
    "select_models",
    "share_shortage",
    "validate_history",
]

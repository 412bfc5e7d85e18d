"""Network planning over a catalogue (pure): forecasts + stock + terms → suggestion rows."""

import json

import numpy as np
import pandas as pd

from forecasting.inventory import StockPosition
from forecasting.plan import NetworkInputs, Site, SupplierTerms, plan_network

CLOUD, NORTH = 1, 2
PRODUCT = 10


def inputs(warehouse_id=None, terms=True):
    return NetworkInputs(
        skus={PRODUCT: "SKU-10"}, pack_sizes={PRODUCT: 1},
        warehouses={CLOUD: Site(CLOUD, "CLD", True), NORTH: Site(NORTH, "NTH", False, CLOUD)},
        positions={(PRODUCT, CLOUD): StockPosition(on_hand=30), (PRODUCT, NORTH): StockPosition(on_hand=0)},
        terms={PRODUCT: SupplierTerms(supplier_id=7, moq=50, pack_size=10, lead_time_days=7)} if terms else {},
        supplier_lead_times={}, route_lead_times={}, service_level=0.95, review_period_days=7,
        warehouse_id=warehouse_id,
    )


def forecasts(days=14):
    ds = pd.date_range("2025-01-01", periods=days)
    rows = [pd.DataFrame({"unique_id": uid, "ds": ds, "yhat": 10.0, "yhat_hi_95": 14.0})
            for uid in ("SKU-10@CLD", "SKU-10@NTH")]
    return pd.concat(rows, ignore_index=True)


KEYS = {"SKU-10@CLD": (PRODUCT, CLOUD), "SKU-10@NTH": (PRODUCT, NORTH)}


def test_the_forward_warehouse_gets_a_transfer_and_the_cloud_a_purchase_from_its_supplier():
    seen = []
    rows = plan_network(inputs(), forecasts(), KEYS, lambda *call: seen.append(call))
    by_kind = {row["kind"]: row for row in rows}
    transfer, purchase = by_kind["transfer"], by_kind["purchase"]
    assert (transfer["warehouse_id"], transfer["source_warehouse_id"]) == (NORTH, CLOUD)
    assert transfer["quantity"] % 10 == 0 and transfer["quantity"] <= 30  # whole packs of what the cloud has
    assert (purchase["warehouse_id"], purchase["supplier_id"]) == (CLOUD, 7)
    assert purchase["quantity"] >= 50 and purchase["quantity"] % 10 == 0  # MOQ and pack
    assert "cloud CLD " in json.loads(transfer["reasons"])["transfer"]  # codes, not ids
    assert seen == [(0, 1, "planning"), (1, 1, "planning")]


def test_a_run_for_a_forward_warehouse_suggests_only_its_transfers():
    rows = plan_network(inputs(warehouse_id=NORTH), forecasts(), KEYS)
    assert [row["kind"] for row in rows] == ["transfer"]


def test_a_product_without_a_price_assumes_a_slow_supplier_and_says_so():
    rows = plan_network(inputs(terms=False), forecasts(), KEYS)
    purchase = next(row for row in rows if row["kind"] == "purchase")
    assert purchase["supplier_id"] is None and purchase["lead_time_days"] == 14.0
    assert "no valid supplier price" in json.loads(purchase["reasons"])["supplier"]


def _two_products(**overrides):
    """Two products with the same demand in the cloud only; product 11 is ten times dearer."""
    base = {
        "skus": {10: "CHEAP", 11: "DEAR"}, "pack_sizes": {10: 1, 11: 1},
        "warehouses": {CLOUD: Site(CLOUD, "CLD", True)},
        "positions": {}, "terms": {p: SupplierTerms(7, 1, 1, 7) for p in (10, 11)},
        "supplier_lead_times": {}, "route_lead_times": {}, "service_level": 0.95, "review_period_days": 7,
        "target_fill_rates": {"home": 0.9}, "categories": {10: "home", 11: "home"},
        "unit_values": {10: 1.0, 11: 10.0},
    }
    base.update(overrides)
    ds = pd.date_range("2025-01-01", periods=28)
    frame = pd.concat([pd.DataFrame({"unique_id": uid, "ds": ds, "yhat": 10.0, "yhat_hi_95": 20.0})
                       for uid in ("CHEAP@CLD", "DEAR@CLD")], ignore_index=True)
    rows = plan_network(NetworkInputs(**base), frame, {"CHEAP@CLD": (10, CLOUD), "DEAR@CLD": (11, CLOUD)})
    return {row["product_id"]: row for row in rows}


def test_a_category_target_fill_rate_buys_more_of_the_cheap_and_less_of_the_dear_sku():
    rows = _two_products()
    cheap, dear = rows[10], rows[11]
    assert cheap["safety_stock"] > dear["safety_stock"]
    reasons = json.loads(cheap["reasons"])["safety_stock"]
    assert reasons.startswith("target fill rate") and "demand over lead time + review (14 days)" in reasons


def test_without_targets_the_cycle_service_level_is_used():
    rows = _two_products(target_fill_rates={})
    assert rows[10]["safety_stock"] == rows[11]["safety_stock"]
    assert "z 1.64" in json.loads(rows[10]["reasons"])["safety_stock"]


def test_with_an_error_pool_purchases_plan_on_past_forecast_errors():
    from forecasting.protection import fit_error_pool

    rng = np.random.default_rng(4)
    forecast = np.exp(rng.uniform(0, np.log(500), 2000))
    pool = fit_error_pool(forecast, 1.3 * forecast * rng.lognormal(0, 0.6, 2000), np.full(2000, 0.5))
    plain, pooled = _two_products(), _two_products(error_pool=pool)
    for pid in (10, 11):
        assert "from past forecast errors" in json.loads(pooled[pid]["reasons"])["safety_stock"]
        assert "from past forecast errors" not in json.loads(plain[pid]["reasons"])["safety_stock"]
    # the past forecasts ran 30 % low with wide errors: the pool buys more than the intervals would
    assert pooled[10]["suggested_quantity"] > plain[10]["suggested_quantity"]
    assert pooled[10]["safety_stock"] > pooled[11]["safety_stock"]  # the cheap SKU still gets more service

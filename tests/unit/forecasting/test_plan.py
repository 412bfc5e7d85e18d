"""Network planning over a catalogue (pure): forecasts + stock + terms → suggestion rows."""

import json

import pandas as pd

from forecasting.plan import NetworkInputs, Site, SupplierTerms, plan_network
from forecasting.replenish import StockPosition

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

from hypothesis import given
from hypothesis import strategies as st

from forecasting.inventory import LeadTime, ReplenishmentInput, StockPosition
from forecasting.network import PURCHASE, TRANSFER, plan_sku_network, share_shortage


def warehouse(name, daily, on_hand=0, reserved=0, lead=5.0, review=15, moq=1):
    return ReplenishmentInput(
        sku="SKU-1",
        warehouse=name,
        daily_demand=[daily] * 30,
        demand_std_per_day=0.0,
        lead_time=LeadTime(lead, 0.0, "receipts"),
        review_period_days=review,
        service_level=0.95,
        stock=StockPosition(on_hand=on_hand, reserved=reserved),
        moq=moq,
        pack_size=5,
    )


def test_shortage_is_shared_in_proportion_to_need_in_whole_packs():
    # 10 packs for needs of 8 and 4 packs: quotas 6.67 and 3.33 → 6 + 3, the spare pack to
    # the larger remainder → 7 and 3 packs
    assert share_shortage(50, [40, 20], pack_size=5) == [35, 15]


def test_everyone_gets_their_need_when_stock_suffices():
    assert share_shortage(100, [40, 20], pack_size=5) == [40, 20]


def test_nothing_is_shared_from_an_empty_cloud():
    assert share_shortage(0, [40, 20], pack_size=5) == [0, 0]


@given(
    available=st.integers(0, 10_000),
    needs=st.lists(st.integers(0, 5_000), max_size=12),
    pack=st.integers(1, 50),
)
def test_sharing_never_overallocates_and_respects_each_need(available, needs, pack):
    shares = share_shortage(available, needs, pack)
    assert len(shares) == len(needs)
    assert sum(shares) <= available
    for share, need in zip(shares, needs, strict=True):
        assert 0 <= share <= need
        assert share % pack == 0
    # nothing is held back while someone still needs a whole pack and a pack is left
    left = available - sum(shares)
    if left >= pack:
        assert all(
            need - share < pack for share, need in zip(shares, needs, strict=True)
        )


def test_cloud_shortage_gives_proportional_transfers_and_buys_the_rest():
    cloud = warehouse(
        "CLOUD", daily=1.0, on_hand=60, reserved=10, lead=10, review=10, moq=100
    )
    forwards = [warehouse("BJ", daily=2.0), warehouse("SH", daily=1.0)]
    # needs: BJ order-up-to 2 × 20 = 40, SH 1 × 20 = 20; cloud has 50 available
    suggestions = plan_sku_network(cloud, forwards)
    transfers = {s.warehouse: s.quantity for s in suggestions if s.kind == TRANSFER}
    assert transfers == {"BJ": 35, "SH": 15}
    assert all(s.source_warehouse == "CLOUD" for s in suggestions if s.kind == TRANSFER)
    purchase = next(s for s in suggestions if s.kind == PURCHASE)
    # after shipping 50 the cloud's position is 10 − 10 reserved = 0 ≤ reorder point 10:
    # own need 20 + 10 uncovered forward need = 30 → MOQ 100 (a multiple of the pack)
    assert purchase.warehouse == "CLOUD"
    assert purchase.source_warehouse is None
    assert purchase.quantity == 100
    assert "not covered" in purchase.reasons["purchase"]
    assert (
        "shared in proportion"
        in next(s for s in suggestions if s.warehouse == "BJ").reasons["transfer"]
    )


def test_transfers_ignore_the_supplier_moq():
    cloud = warehouse("CLOUD", daily=0.0, on_hand=500, moq=1000)
    suggestions = plan_sku_network(cloud, [warehouse("BJ", daily=1.0, moq=1000)])
    assert [(s.kind, s.quantity) for s in suggestions] == [(TRANSFER, 20)]


def test_network_demand_is_not_counted_twice_in_the_cloud_purchase():
    # the cloud plans for network demand 3/day (1 own + 2 of BJ); nothing anywhere. Echelon:
    # order up to 3 × (10 + 10) = 60 − position 0 = 60; the forward need is part of it.
    cloud = warehouse("CLOUD", daily=3.0, lead=10, review=10)
    suggestions = plan_sku_network(cloud, [warehouse("BJ", daily=2.0)], network_demand=True)
    purchase = next(s for s in suggestions if s.kind == PURCHASE)
    assert purchase.quantity == 60
    assert "forward needs are part of it" in purchase.reasons["purchase"]


def test_cloud_stock_left_lasts_days_at_network_demand_not_zero():
    # 4 units in the cloud, all shipped to BJ: the purchase row shows them, so its days until
    # stock-out are those of 4 units at network demand 0.5/day = 8 days (not 0.0)
    cloud = warehouse("CLOUD", daily=0.5, on_hand=4, lead=10, review=10)
    suggestions = plan_sku_network(cloud, [warehouse("BJ", daily=0.4)], network_demand=True)
    purchase = next(s for s in suggestions if s.kind == PURCHASE)
    assert purchase.replenishment.days_until_stockout == 8.0
    assert "available 4 lasts 8.0 days" in purchase.reasons["stockout"]

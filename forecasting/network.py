"""One SKU across the warehouse network: transfers to forward warehouses, purchases for the cloud.

Rules (all quantities integer base units):

1. Each forward warehouse runs :func:`forecasting.replenish.replenish` with its transfer
   lead time; its *need* is the suggested quantity rounded to whole packs only — the MOQ is
   a supplier term and does not apply to transfers.
2. The cloud can ship its available stock (on hand − reserved). If that covers all needs,
   every forward warehouse gets its need. Otherwise :func:`share_shortage` splits it in
   proportion to need, in whole packs (see there).
3. The cloud's purchase = what its own policy asks for once the transfers have left
   (cloud on hand reduced by what it ships) + the forward needs it could not cover, rounded
   up to the supplier's MOQ and pack size. Simplification: the cloud's own forecast is
   whatever the caller passes; pass network demand if the cloud should stock for it.
4. With ``network_demand=True`` the cloud's forecast already *is* network demand (its own +
   its forward warehouses'), so the forward needs are part of it: the cloud plans on its
   *echelon* position (its own + its forward warehouses' positions) and buys what its policy
   asks for, without adding the forward needs a second time. Its days until stock-out are
   those of its available stock (before the transfers) at network demand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from forecasting.inventory import ReplenishmentInput, StockPosition, days_until_stockout, round_order
from forecasting.replenish import Replenishment, replenish, stockout_reason

PURCHASE = "PURCHASE"
TRANSFER = "TRANSFER"


@dataclass(frozen=True)
class Suggestion:
    """A suggested purchase (to the cloud) or transfer (cloud → forward warehouse)."""

    kind: str  # PURCHASE or TRANSFER
    sku: str
    warehouse: str  # destination
    source_warehouse: str | None  # the cloud for transfers, None for purchases
    quantity: int
    replenishment: Replenishment
    reasons: dict[str, str] = field(default_factory=dict)


def share_shortage(
    available: int, needs: Sequence[int], pack_size: int = 1
) -> list[int]:
    """Split ``available`` units among ``needs`` in whole packs, proportionally to need.

    Work in packs: ``A = available // pack_size`` packs to give, need ``n_i = need_i //
    pack_size`` packs. When ``sum(n) <= A`` everyone gets ``n_i`` packs. Otherwise each gets
    ``floor(A · n_i / sum(n))`` packs and the packs left over go one each to the largest
    fractional remainders (ties: larger need, then earlier position) — Hamilton's method.
    Guarantees: every allocation is a multiple of ``pack_size``, ``0 <= alloc_i <= need_i``,
    and ``sum(alloc) <= available``.

    Raises:
        ValueError: negative ``available`` or need, or ``pack_size`` < 1.
    """
    if pack_size < 1:
        raise ValueError(f"pack_size must be >= 1, got {pack_size}")
    if available < 0 or any(need < 0 for need in needs):
        raise ValueError("available and needs must be >= 0")
    packs_available = available // pack_size
    packs_needed = [need // pack_size for need in needs]
    total = sum(packs_needed)
    if total <= packs_available:
        return [packs * pack_size for packs in packs_needed]
    # Exact integer arithmetic: quotas as (floor, remainder numerator) over `total`.
    floors = [packs_available * packs // total for packs in packs_needed]
    remainders = [packs_available * packs % total for packs in packs_needed]
    left = packs_available - sum(floors)
    order = sorted(
        range(len(needs)), key=lambda i: (-remainders[i], -packs_needed[i], i)
    )
    for i in order[:left]:
        floors[i] += 1
    return [packs * pack_size for packs in floors]


def plan_sku_network(
    cloud: ReplenishmentInput,
    forwards: Sequence[ReplenishmentInput],
    *,
    network_demand: bool = False,
) -> list[Suggestion]:
    """Transfer suggestions for each forward warehouse and a purchase for the cloud.

    All inputs are for the same SKU (same ``pack_size``); see the module doc for the rules.
    Only suggestions with a positive quantity are returned, transfers first.

    Raises:
        ValueError: inputs for different SKUs, or any error of :func:`replenish`.
    """
    if any(item.sku != cloud.sku for item in forwards):
        raise ValueError("plan_sku_network needs inputs for one SKU")
    forward_plans = [replenish(dataclasses.replace(item, moq=1)) for item in forwards]
    needs = [plan.suggested_quantity for plan in forward_plans]
    allocations = share_shortage(cloud.stock.available, needs, cloud.pack_size)
    shipped = sum(allocations)
    uncovered = sum(needs) - shipped
    shortage = sum(needs) > cloud.stock.available
    suggestions = []
    for item, plan, need, allocated in zip(
        forwards, forward_plans, needs, allocations, strict=True
    ):
        if allocated <= 0:
            continue
        reasons = dict(plan.reasons)
        reasons["transfer"] = (
            f"needs {need}; cloud {cloud.warehouse} has {cloud.stock.available} available for "
            f"{sum(needs)} needed by forward warehouses"
            + (f": shared in proportion to need, gets {allocated}" if shortage else "")
        )
        suggestions.append(
            Suggestion(
                TRANSFER,
                item.sku,
                item.warehouse,
                cloud.warehouse,
                allocated,
                plan,
                reasons,
            )
        )
    if network_demand:
        cloud_plan = _echelon_plan(cloud, forwards)
        quantity = cloud_plan.suggested_quantity
        explanation = (
            f"network need {cloud_plan.needed_quantity:.1f} (cloud + forward warehouses' position "
            f"{cloud_plan.position} against network demand; forward needs are part of it) → "
            f"rounded up to MOQ {cloud.moq} and pack {cloud.pack_size}: {quantity}"
        )
    else:
        after = dataclasses.replace(cloud.stock, on_hand=cloud.stock.on_hand - shipped)
        cloud_plan = replenish(dataclasses.replace(cloud, stock=after))
        quantity = round_order(
            cloud_plan.needed_quantity + uncovered, cloud.moq, cloud.pack_size
        )
        explanation = (
            f"own need {cloud_plan.needed_quantity:.1f} after shipping {shipped} to forward "
            f"warehouses + {uncovered} forward need not covered by cloud stock → rounded up "
            f"to MOQ {cloud.moq} and pack {cloud.pack_size}: {quantity}"
        )
    if quantity > 0:
        reasons = dict(cloud_plan.reasons)
        reasons["purchase"] = explanation
        suggestions.append(
            Suggestion(
                PURCHASE,
                cloud.sku,
                cloud.warehouse,
                None,
                quantity,
                cloud_plan,
                reasons,
            )
        )
    return suggestions


def _echelon_plan(
    cloud: ReplenishmentInput, forwards: Sequence[ReplenishmentInput]
) -> Replenishment:
    """The cloud's policy on its echelon position, at network demand (rule 4)."""
    stocks = [cloud.stock, *(item.stock for item in forwards)]
    echelon = StockPosition(
        on_hand=sum(s.on_hand for s in stocks),
        in_transit=sum(s.in_transit for s in stocks),
        on_order=sum(s.on_order for s in stocks),
        reserved=sum(s.reserved for s in stocks),
    )
    plan = replenish(dataclasses.replace(cloud, stock=echelon))
    stockout = days_until_stockout(cloud.stock.available, cloud.daily_demand)
    reasons = dict(plan.reasons)
    reasons["position"] = "echelon " + reasons["position"] + " (cloud + forward warehouses)"
    reasons["stockout"] = stockout_reason(cloud.stock.available, stockout) + " (network)"
    return dataclasses.replace(plan, days_until_stockout=stockout, reasons=reasons)

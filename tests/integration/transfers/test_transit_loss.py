"""A short transfer receipt: the ledger explains every unit (out, in, transit loss with reason)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.stock.models import StockBalance, StockMovement
from app.transfers import service
from app.transfers.service import LineReceipt, TransferLineInput
from tests.factories import TEST_ACTOR, make_product, make_warehouse, receive_stock


def test_missing_units_are_a_transit_loss_adjustment_with_the_reason(session: Session) -> None:
    cloud, fwd = make_warehouse(session, kind="cloud"), make_warehouse(session)
    towel = make_product(session)
    receive_stock(session, towel, cloud, 50)
    t = service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                                lines=[TransferLineInput(towel.id, 40)])
    service.ship_transfer(session, TEST_ACTOR, transfer_id=t.id, now=utcnow())
    service.receive_transfer(session, TEST_ACTOR, transfer_id=t.id, now=utcnow(),
                             receipts={t.lines[0].id: LineReceipt(38, "2 torn in transit")})
    moves = [(m.warehouse_id, m.kind, m.quantity, m.note, m.reference_id) for m in session.scalars(
        select(StockMovement).where(StockMovement.source == "transfer").order_by(StockMovement.id))]
    assert moves == [(cloud.id, "transfer_out", -40, None, t.number), (fwd.id, "transfer_in", 40, None, t.number),
                     (fwd.id, "adjustment", -2, "transit loss: 2 torn in transit", t.number)]
    dest = session.scalars(select(StockBalance).where(StockBalance.product_id == towel.id,
                                                      StockBalance.warehouse_id == fwd.id)).one()
    assert (dest.on_hand, dest.in_transit) == (38, 0)
    assert sum(q for _w, _k, q, _n, _r in moves) == -2  # the network lost exactly the 2 missing units

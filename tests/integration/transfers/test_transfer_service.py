"""Transfers through the stock core: ship puts stock in transit, receive lands it."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import InsufficientStockError, InvalidState, ValidationFailed
from app.stock.models import StockBalance, StockMovement
from app.transfers import service
from app.transfers.service import LineReceipt, TransferLineInput
from tests.factories import TEST_ACTOR, make_product, make_warehouse, receive_stock


def _balance(session: Session, product_id: int, warehouse_id: int) -> StockBalance:
    return session.scalars(select(StockBalance).where(StockBalance.product_id == product_id,
                                                      StockBalance.warehouse_id == warehouse_id)).one()


@pytest.fixture
def setup(session: Session):  # type: ignore[no-untyped-def]
    cloud = make_warehouse(session, kind="cloud")
    fwd = make_warehouse(session)
    towel, mask = make_product(session), make_product(session)
    receive_stock(session, towel, cloud, 50)
    receive_stock(session, mask, cloud, 10)
    return cloud, fwd, towel, mask


def test_create_numbers_transfers_in_the_document_scheme_and_merges_lines(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    cloud, fwd, towel, mask = setup
    first = service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                                    lines=[TransferLineInput(towel.id, 3), TransferLineInput(towel.id, 2)])
    second = service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                                     lines=[TransferLineInput(mask.id, 1)])
    year = utcnow().year
    # one scheme for every document (app.numbering): prefix, year, the row id in six digits
    assert first.number == f"TR-{year}-{first.id:06d}" and second.number == f"TR-{year}-{second.id:06d}"
    assert second.id > first.id
    assert [(ln.product_id, ln.quantity) for ln in first.lines] == [(towel.id, 5)]
    assert first.status == "draft"


def test_create_refuses_same_warehouse_and_non_positive_quantity(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    cloud, _fwd, towel, _mask = setup
    with pytest.raises(ValidationFailed) as err:
        service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=cloud.id,
                                lines=[TransferLineInput(towel.id, 0)])
    fields = {e["field"] for e in err.value.data["errors"]}
    assert fields == {"dest", "lines-0-quantity"}


def test_ship_moves_stock_out_of_the_source_and_into_transit_at_the_destination(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    cloud, fwd, towel, mask = setup
    t = service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                                lines=[TransferLineInput(towel.id, 20), TransferLineInput(mask.id, 4)])
    service.ship_transfer(session, TEST_ACTOR, transfer_id=t.id, now=utcnow())
    assert t.status == "shipped"
    src, dst = _balance(session, towel.id, cloud.id), _balance(session, towel.id, fwd.id)
    assert (src.on_hand, src.in_transit) == (30, 0)
    assert (dst.on_hand, dst.in_transit) == (0, 20)
    kinds = session.execute(select(StockMovement.kind, StockMovement.quantity, StockMovement.warehouse_id)
                            .where(StockMovement.reference_id == t.number)).all()
    assert sorted(kinds) == sorted([("transfer_out", -20, cloud.id), ("transfer_out", -4, cloud.id)])


def test_ship_refuses_when_the_source_lacks_available_stock_and_moves_nothing(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    cloud, fwd, towel, mask = setup
    t = service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                                lines=[TransferLineInput(towel.id, 5), TransferLineInput(mask.id, 11)])
    with pytest.raises(InsufficientStockError) as err:
        service.ship_transfer(session, TEST_ACTOR, transfer_id=t.id, now=utcnow())
    assert err.value.data["shortages"] == [{"sku": mask.sku, "requested": 11, "available": 10}]
    assert _balance(session, towel.id, cloud.id).on_hand == 50


def test_receive_lands_stock_and_records_a_short_receipt_with_its_note(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    cloud, fwd, towel, mask = setup
    t = service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                                lines=[TransferLineInput(towel.id, 20), TransferLineInput(mask.id, 4)])
    service.ship_transfer(session, TEST_ACTOR, transfer_id=t.id, now=utcnow())
    towel_line, mask_line = t.lines
    with pytest.raises(ValidationFailed) as err:
        service.receive_transfer(session, TEST_ACTOR, transfer_id=t.id, now=utcnow(),
                                 receipts={towel_line.id: LineReceipt(18), mask_line.id: LineReceipt(4)})
    assert err.value.data["errors"] == [{"field": "lines-0-note", "message": "explain the difference from the shipped quantity"}]
    service.receive_transfer(session, TEST_ACTOR, transfer_id=t.id, now=utcnow(),
                             receipts={towel_line.id: LineReceipt(18, "2 torn in transit"), mask_line.id: LineReceipt(4)})
    dst = _balance(session, towel.id, fwd.id)
    assert (dst.on_hand, dst.in_transit) == (18, 0)
    assert towel_line.discrepancy_note == "2 torn in transit" and t.status == "received"
    assert _balance(session, mask.id, fwd.id).on_hand == 4


def test_cancel_only_a_draft(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    cloud, fwd, towel, _mask = setup
    t = service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                                lines=[TransferLineInput(towel.id, 1)])
    service.ship_transfer(session, TEST_ACTOR, transfer_id=t.id, now=utcnow())
    with pytest.raises(InvalidState):
        service.cancel_transfer(session, TEST_ACTOR, transfer_id=t.id)
    draft = service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                                    lines=[TransferLineInput(towel.id, 1)])
    assert service.cancel_transfer(session, TEST_ACTOR, transfer_id=draft.id).status == "cancelled"


def test_list_filters_in_transit(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    cloud, fwd, towel, _mask = setup
    shipped = service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                                      lines=[TransferLineInput(towel.id, 1)])
    service.ship_transfer(session, TEST_ACTOR, transfer_id=shipped.id, now=utcnow())
    service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                            lines=[TransferLineInput(towel.id, 1)])
    page = service.list_transfers(session, status="in_transit")
    assert [r.number for r in page.rows] == [shipped.number]
    assert service.list_transfers(session).total == 2

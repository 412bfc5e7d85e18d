"""The stock API handlers (/api/v1): parse (done by `endpoint`), call one service, render a schema.

Contract: docs/api.md ("The stock API contract"). Each write runs in one transaction via `run_write`,
which also stores the Idempotency-Key response with the effect.
"""
from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from flask import Response, jsonify
from sqlalchemy.orm import Session

from app.api import schemas as sc
from app.api.idempotency import Outcome, run_in_one_statement, run_write
from app.api.routing import ApiPrincipal, endpoint
from app.audit.service import record_audit
from app.catalog import sync as catalog
from app.db import current_db, single_statement_session, transaction, utcnow
from app.db import session as db_session
from app.errors import InsufficientStockError, ValidationFailed
from app.ops.prometheus import RESERVATIONS
from app.stock import buckets, levels, reservations
from app.stock.reservations_sql import close_in_one_statement, reserve_in_one_statement
from app.stock.service import MovementInput, movement_quantity_error, record_movements

READ, WRITE, SYNC = "stock:read", "stock:write", "stock:sync"
AUDITED_EVENT_IDS = 20  # the audit row names the first ones; the ledger has them all
RESERVATION_ID = {"id": str}
OWNED = ("A reservation belongs to the API client that created it: for any other client this answers 404, "
         "exactly as for an id that does not exist. A client with the `admin` scope may act on any reservation.")
SKU_PARAM = {"sku": sc.Sku}
LONG_LISTS = ("The same answer as the GET with these parameters. Use it when the SKU list (up to 1000) "
              "makes the URL longer than the server's request-line limit (8190 bytes).")


def _json(model: Any, status: int = 200) -> Response:
    return Response(model.model_dump_json(), status=status, mimetype="application/json")


def _read() -> AbstractContextManager[Session]:
    """An unlocked read: on PostgreSQL one statement is its own transaction (no BEGIN/ROLLBACK
    round trips, no transaction left open while the response is rendered)."""
    return single_statement_session() if current_db().dialect == "postgresql" else nullcontext(db_session())


def _product_out(s: Session, product: Any) -> sc.ProductOut:
    return sc.ProductOut(sku=product.sku, name=product.name, unit=product.unit,
                         category=catalog.category_name(s, product), pack_size=product.pack_size)


@endpoint("PUT", "/products/{sku}", summary="Create or update a product", scope=SYNC, body=sc.ProductPut,
          responses={200: sc.ProductOut, 201: sc.ProductOut}, errors=(400, 401, 403, 415, 422),
          path_params=SKU_PARAM)
def put_product(principal: ApiPrincipal, sku: str, body: sc.ProductPut) -> Response:
    with transaction() as s:
        product, created = catalog.upsert_product(s, principal.actor, sku=sku, name=body.name, unit=body.unit,
                                                  category=body.category, pack_size=body.pack_size)
        out = _product_out(s, product)
    return _json(out, 201 if created else 200)


@endpoint("GET", "/products/{sku}", summary="A product", scope=READ, responses={200: sc.ProductOut},
          errors=(401, 403, 404, 422), path_params=SKU_PARAM)
def get_product(principal: ApiPrincipal, sku: str) -> Response:
    s = db_session()
    return _json(_product_out(s, catalog.get_product(s, sku)))


HOT = ("Hot-SKU mode (for promotion peaks such as Double 11): each balance of the SKU is split into stock "
       "buckets so that concurrent reservations lock different rows. Stock levels, availability and the change "
       "feed keep showing the totals; nothing else about the stock API changes.")


@endpoint("GET", "/products/{sku}/hot", summary="Whether a SKU is in hot-SKU mode", scope=READ,
          responses={200: sc.HotSkuOut}, errors=(401, 403, 404, 422), path_params=SKU_PARAM, description=HOT)
def get_hot_sku(principal: ApiPrincipal, sku: str) -> Response:
    return _json(sc.HotSkuOut.of(buckets.hot_state(db_session(), sku)))


@endpoint("PUT", "/products/{sku}/hot", summary="Put a SKU in hot-SKU mode (or take it out)", scope="admin",
          body=sc.HotSkuPut, responses={200: sc.HotSkuOut}, errors=(400, 401, 403, 404, 415, 422),
          path_params=SKU_PARAM, description=HOT + " Needs the `admin` scope.")
def put_hot_sku(principal: ApiPrincipal, sku: str, body: sc.HotSkuPut) -> Response:
    with transaction() as s:
        state = buckets.set_buckets(s, principal.actor, sku=sku, buckets=body.buckets, now=utcnow())
    return _json(sc.HotSkuOut.of(state))


@endpoint("GET", "/warehouses", summary="Active warehouses", scope=READ, responses={200: sc.WarehouseList},
          errors=(401, 403))
def list_warehouses(principal: ApiPrincipal) -> Response:
    rows = levels.list_warehouses(db_session())
    return _json(sc.WarehouseList(warehouses=[
        sc.WarehouseOut(code=w.code, name=w.name, kind=w.kind, region=w.region, city=w.city)  # type: ignore[arg-type]
        for w in rows]))


@endpoint("GET", "/stock", summary="Stock levels per SKU × warehouse", scope=READ, query=sc.StockQuery,
          responses={200: sc.StockList}, errors=(401, 403, 404, 422),
          description="For a SKU list too long for a URL, `POST /api/v1/stock/query` takes it as a JSON body.")
def get_stock(principal: ApiPrincipal, query: sc.StockQuery | sc.StockLookup) -> Response:
    rows = levels.stock_levels(db_session(), skus=query.sku, warehouse_code=query.warehouse)
    return _json(sc.StockList(stock=[sc.StockRow.of(level) for level in rows]))


@endpoint("POST", "/stock/query", summary="Stock levels per SKU × warehouse (SKU list in the body)", scope=READ,
          body=sc.StockLookup, responses={200: sc.StockList}, errors=(400, 401, 403, 404, 415, 422),
          description=LONG_LISTS)
def query_stock(principal: ApiPrincipal, body: sc.StockLookup) -> Response:
    return get_stock(principal, body)


@endpoint("GET", "/availability", summary="Sellable quantity per SKU, total and per warehouse", scope=READ,
          query=sc.AvailabilityQuery, responses={200: sc.AvailabilityList}, errors=(401, 403, 404, 422),
          description="For a SKU list too long for a URL, `POST /api/v1/availability/query` takes it as a JSON body.")
def get_availability(principal: ApiPrincipal, query: sc.AvailabilityQuery | sc.AvailabilityLookup) -> Response:
    if current_db().dialect == "postgresql":
        rows = levels.availability_in_one_statement(skus=query.sku, region=query.region)
    else:
        rows = levels.availability(db_session(), skus=query.sku, region=query.region)
    return _json(sc.AvailabilityList(availability=[sc.SkuAvailabilityOut.of(a) for a in rows]))


@endpoint("POST", "/availability/query", summary="Sellable quantity per SKU (SKU list in the body)", scope=READ,
          body=sc.AvailabilityLookup, responses={200: sc.AvailabilityList}, errors=(400, 401, 403, 404, 415, 422),
          description=LONG_LISTS)
def query_availability(principal: ApiPrincipal, body: sc.AvailabilityLookup) -> Response:
    return get_availability(principal, body)


@endpoint("POST", "/reservations", summary="Reserve stock for an order (all lines or none)", scope=WRITE,
          body=sc.ReservationCreate, responses={201: sc.ReservationOut},
          errors=(400, 401, 403, 409, 415, 422), idempotent=True,
          description="The reservation belongs to the calling client: only it (or an `admin` client) can read, "
                      "commit or release it.")
def create_reservation(principal: ApiPrincipal, body: sc.ReservationCreate) -> Response:
    lines = [reservations.ReserveLine(line.sku, line.quantity) for line in body.lines]
    if current_db().dialect == "postgresql":
        response, result = run_in_one_statement(principal, lambda s, key, fingerprint: (
            reserve_in_one_statement(s, principal.actor, api_client_id=principal.id, key=key, fingerprint=fingerprint,
                                     order_ref=body.order_ref, region=body.region, ttl_seconds=body.ttl_seconds,
                                     lines=lines, now=utcnow())))
        if not result.replayed and (result.error is None or isinstance(result.error, InsufficientStockError)):
            RESERVATIONS.labels("created" if result.error is None else "insufficient").inc()
        return response

    def action(s: Session) -> Outcome:
        try:
            view = reservations.reserve_stock(
                s, principal.actor, order_ref=body.order_ref, region=body.region, ttl_seconds=body.ttl_seconds,
                lines=lines, now=utcnow(), api_client_id=principal.id)
        except InsufficientStockError:
            RESERVATIONS.labels("insufficient").inc()
            raise
        RESERVATIONS.labels("created").inc()
        return Outcome.of(201, sc.ReservationOut.of(view))

    return run_write(principal, action)


@endpoint("GET", "/reservations/{id}", summary="A reservation", scope=READ, responses={200: sc.ReservationOut},
          errors=(401, 403, 404), path_params=RESERVATION_ID, description=OWNED)
def get_reservation(principal: ApiPrincipal, id: str) -> Response:
    with _read() as s:
        view = reservations.get_reservation(s, id, owner=principal.owner)
    return _json(sc.ReservationOut.of(view))


def _close(principal: ApiPrincipal, reservation_id: str, *, commit: bool) -> Response:
    done = "committed" if commit else "released"
    if current_db().dialect == "postgresql":
        response, result = run_in_one_statement(principal, lambda s, key, fingerprint: close_in_one_statement(
            s, principal.actor, api_client_id=principal.id, admin=principal.admin, key=key, fingerprint=fingerprint,
            reservation_id=reservation_id, commit=commit, now=utcnow()))
        if not result.replayed and (result.error is None or result.expired):
            RESERVATIONS.labels("expired" if result.expired else done).inc()
        return response
    close = reservations.commit_reservation if commit else reservations.release_reservation

    def action(s: Session) -> Outcome:
        outcome = close(s, principal.actor, reservation_id=reservation_id, now=utcnow(), owner=principal.owner)
        if outcome.error is not None:  # it had expired: the expiry is kept, the caller gets 409
            RESERVATIONS.labels("expired").inc()
            return Outcome.problem(outcome.error)
        RESERVATIONS.labels(done).inc()
        return Outcome.of(200, sc.ReservationOut.of(outcome.reservation))

    return run_write(principal, action)


@endpoint("POST", "/reservations/{id}/commit", summary="Ship a reservation (stock leaves as shipments)",
          scope=WRITE, responses={200: sc.ReservationOut}, errors=(401, 403, 404, 409, 422), idempotent=True,
          path_params=RESERVATION_ID, description=OWNED)
def commit_reservation(principal: ApiPrincipal, id: str) -> Response:
    return _close(principal, id, commit=True)


@endpoint("POST", "/reservations/{id}/release", summary="Cancel a reservation (stock is available again)",
          scope=WRITE, responses={200: sc.ReservationOut}, errors=(401, 403, 404, 409, 422), idempotent=True,
          path_params=RESERVATION_ID, description=OWNED)
def release_reservation(principal: ApiPrincipal, id: str) -> Response:
    return _close(principal, id, commit=False)


@endpoint("POST", "/movements", summary="Apply a batch of warehouse movements (whole or nothing)", scope=SYNC,
          body=sc.MovementBatch, responses={200: sc.MovementResult}, errors=(400, 401, 403, 409, 415, 422),
          idempotent=True)
def post_movements(principal: ApiPrincipal, body: sc.MovementBatch) -> Response:
    def action(s: Session) -> Outcome:
        inputs = _movement_inputs(s, body)
        result = record_movements(s, inputs, source=principal.source, now=utcnow())
        record_audit(s, principal.actor, "movements.apply", "movement_batch", body.movements[0].event_id,
                     applied=result.applied, duplicates=result.duplicates, lines=len(body.movements),
                     event_ids=[m.event_id for m in body.movements[:AUDITED_EVENT_IDS]])
        return Outcome.of(200, sc.MovementResult(applied=result.applied, duplicates=result.duplicates))

    return run_write(principal, action)


def _movement_inputs(s: Session, body: sc.MovementBatch) -> list[MovementInput]:
    """Resolve SKUs and warehouse codes; every unknown one (and every quantity the stock
    service refuses) is one 422 naming its index."""
    products, warehouses = levels.ids_for(s, skus=[m.sku for m in body.movements],
                                         warehouse_codes=[m.warehouse for m in body.movements])
    errors = []
    for i, m in enumerate(body.movements):
        if m.sku not in products:
            errors.append({"field": f"movements[{i}].sku", "message": f"unknown SKU {m.sku!r}"})
        if m.warehouse not in warehouses:
            errors.append({"field": f"movements[{i}].warehouse", "message": f"unknown warehouse {m.warehouse!r}"})
        if quantity_error := movement_quantity_error(m.kind, m.quantity):  # the rule is the stock service's
            errors.append({"field": f"movements[{i}].quantity", "message": quantity_error})
    if errors:
        raise ValidationFailed(f"{len(errors)} invalid movement field(s)", errors)
    return [MovementInput(products[m.sku], warehouses[m.warehouse], m.kind, m.quantity, m.occurred_at,
                          event_id=m.event_id) for m in body.movements]


@endpoint("GET", "/stock/changes", summary="Every balance change in commit order (cursor-paged)", scope=READ,
          query=sc.ChangesQuery, responses={200: sc.ChangeList}, errors=(401, 403, 422))
def get_changes(principal: ApiPrincipal, query: sc.ChangesQuery) -> Response:
    page = levels.changes_after(db_session(), after=query.after, limit=query.limit)
    return _json(sc.ChangeList.of(page))


@endpoint("GET", "/openapi.json", summary="This document", scope=None, responses={200: None})
def openapi() -> Response:
    from app.api.openapi import build_document

    return jsonify(build_document())

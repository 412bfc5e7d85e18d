"""One request and one response example per API operation, for the OpenAPI document and the
browsable reference at /api/v1/docs. tests/web/api/test_api_docs.py validates every example
against the operation's own models, so an example cannot drift from what the API accepts."""
from __future__ import annotations

from typing import Any

from app.errors import PROBLEM_BASE

_RESERVATION = {
    "id": "r_01JD8W6Q9K3M2X7Y4Z5A6B7C8D", "order_ref": "SO-2026-118204", "status": "active",
    "expires_at": "2026-12-01T10:15:00Z",
    "lines": [{"sku": "HE230005-06", "quantity": 3, "allocations": [
        {"warehouse": "FWD-BJ", "quantity": 2}, {"warehouse": "CLOUD-SH", "quantity": 1}]}],
}

# operation name → {"parameters": {name: value}, "request": body, "responses": {status: body}}
EXAMPLES: dict[str, dict[str, Any]] = {
    "put_product": {
        "parameters": {"sku": "HE230005-06"},
        "request": {"name": "Massage Gun Pro / Navy", "unit": "pcs", "category": "Health", "pack_size": 4},
        "responses": {
            200: {"sku": "HE230005-06", "name": "Massage Gun Pro / Navy", "unit": "pcs", "category": "Health",
                  "pack_size": 4},
            201: {"sku": "HE230005-06", "name": "Massage Gun Pro / Navy", "unit": "pcs", "category": "Health",
                  "pack_size": 4},
        },
    },
    "get_product": {
        "parameters": {"sku": "HE230005-06"},
        "responses": {200: {"sku": "HE230005-06", "name": "Massage Gun Pro / Navy", "unit": "pcs",
                            "category": "Health", "pack_size": 4}},
    },
    "get_hot_sku": {
        "parameters": {"sku": "HE230005-06"},
        "responses": {200: {"sku": "HE230005-06", "hot": True, "buckets": 8, "source": "admin",
                            "marked_at": "2026-11-10T16:00:00Z", "marked_by": "Li Wei", "lock_waiters": None}},
    },
    "put_hot_sku": {
        "parameters": {"sku": "HE230005-06"},
        "request": {"buckets": 8},
        "responses": {200: {"sku": "HE230005-06", "hot": True, "buckets": 8, "source": "admin",
                            "marked_at": "2026-11-10T16:00:00Z", "marked_by": "order-system", "lock_waiters": None}},
    },
    "list_warehouses": {
        "responses": {200: {"warehouses": [
            {"code": "CLOUD-SH", "name": "Shanghai Cloud Warehouse", "kind": "cloud", "region": "East China",
             "city": "Kunshan"},
            {"code": "FWD-BJ", "name": "Beijing Forward Warehouse", "kind": "forward", "region": "North China",
             "city": "Beijing"}]}},
    },
    "get_stock": {
        "parameters": {"sku": ["HE230005-06"], "warehouse": "FWD-BJ"},
        "responses": {200: {"stock": [{"sku": "HE230005-06", "warehouse": "FWD-BJ", "on_hand": 42, "reserved": 5,
                                       "available": 37, "in_transit": 20}]}},
    },
    "get_availability": {
        "parameters": {"sku": ["HE230005-06"], "region": "North China"},
        "responses": {200: {"availability": [{"sku": "HE230005-06", "available": 129, "warehouses": [
            {"warehouse": "FWD-BJ", "available": 37, "serves_region": True},
            {"warehouse": "CLOUD-SH", "available": 92, "serves_region": False}]}]}},
    },
    "query_stock": {
        "request": {"sku": ["HE230005-06", "HE230005-07"], "warehouse": "FWD-BJ"},
        "responses": {200: {"stock": [
            {"sku": "HE230005-06", "warehouse": "FWD-BJ", "on_hand": 42, "reserved": 5, "available": 37, "in_transit": 20},
            {"sku": "HE230005-07", "warehouse": "FWD-BJ", "on_hand": 0, "reserved": 0, "available": 0,
             "in_transit": 12}]}},
    },
    "query_availability": {
        "request": {"sku": ["HE230005-06"], "region": "North China"},
        "responses": {200: {"availability": [{"sku": "HE230005-06", "available": 129, "warehouses": [
            {"warehouse": "FWD-BJ", "available": 37, "serves_region": True},
            {"warehouse": "CLOUD-SH", "available": 92, "serves_region": False}]}]}},
    },
    "create_reservation": {
        "parameters": {"Idempotency-Key": "so-2026-118204-reserve"},
        "request": {"order_ref": "SO-2026-118204", "region": "North China", "ttl_seconds": 900,
                    "lines": [{"sku": "HE230005-06", "quantity": 3}]},
        "responses": {
            201: _RESERVATION,
            409: {"type": PROBLEM_BASE + "insufficient-stock", "title": "Insufficient stock", "status": 409,
                  "detail": "not enough stock for 1 line(s)",
                  "shortages": [{"sku": "HE230005-06", "requested": 3, "available": 1}]},
            422: {"type": PROBLEM_BASE + "validation-error", "title": "Invalid request", "status": 422,
                  "detail": "lines[0].quantity: Input should be greater than 0",
                  "errors": [{"field": "lines[0].quantity", "message": "Input should be greater than 0"}]},
        },
    },
    "get_reservation": {
        "parameters": {"id": _RESERVATION["id"]},
        "responses": {200: _RESERVATION},
    },
    "commit_reservation": {
        "parameters": {"id": _RESERVATION["id"], "Idempotency-Key": "so-2026-118204-ship"},
        "responses": {200: {**_RESERVATION, "status": "committed"}},
    },
    "release_reservation": {
        "parameters": {"id": _RESERVATION["id"], "Idempotency-Key": "so-2026-118204-cancel"},
        "responses": {200: {**_RESERVATION, "status": "released"}},
    },
    "post_movements": {
        "parameters": {"Idempotency-Key": "wms-batch-2026-12-01-0007"},
        "request": {"movements": [
            {"event_id": "wms-88123", "warehouse": "FWD-BJ", "sku": "HE230005-06", "kind": "receipt",
             "quantity": 24, "occurred_at": "2026-12-01T08:30:00+08:00"},
            {"event_id": "wms-88124", "warehouse": "FWD-BJ", "sku": "HE230005-06", "kind": "count",
             "quantity": 61, "occurred_at": "2026-12-01T09:05:00+08:00"}]},
        "responses": {200: {"applied": 2, "duplicates": 0}},
    },
    "get_changes": {
        "parameters": {"after": 1041, "limit": 100},
        "responses": {200: {"changes": [
            {"cursor": 1042, "sku": "HE230005-06", "warehouse": "FWD-BJ", "on_hand": 42, "reserved": 8,
             "available": 34, "at": "2026-12-01T01:31:07.418Z"}], "next_cursor": 1042}},
    },
    "openapi": {"responses": {200: {"openapi": "3.1.0", "info": {"title": "Stockwise stock API"}, "paths": {}}}},
}

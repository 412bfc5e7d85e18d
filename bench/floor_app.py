"""The HTTP floor of bench/stock_api.py: the smallest Flask app doing what a reservation
must do at least — one conditional UPDATE of a balance per request through psycopg — with
no auth, no validation, no ORM. Served by the same HTTP server and settings as the API, it
separates what Flask and the server cost from what our code costs.

    POST /floor/reserve/<product_id>   reserved + 1 where available ≥ 1 → 201, else 409
    POST /floor/release/<product_id>   reserved − 1 → 200

Settings from the environment: FLOOR_DSN (libpq URL), FLOOR_WAREHOUSE_ID.
"""
from __future__ import annotations

import os
import threading

import psycopg
from flask import Flask, Response

app = Flask(__name__)
_DSN = os.environ.get("FLOOR_DSN", "")
_WAREHOUSE = int(os.environ.get("FLOOR_WAREHOUSE_ID", "0"))
_local = threading.local()


def _conn() -> psycopg.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(_DSN, autocommit=True)
    return conn


@app.post("/floor/reserve/<int:product_id>")
def reserve(product_id: int) -> Response:
    cur = _conn().execute("UPDATE stock_balance SET reserved = reserved + 1, version = version + 1 "
                          "WHERE product_id = %s AND warehouse_id = %s AND bucket = 0 AND on_hand - reserved >= 1",
                          (product_id, _WAREHOUSE))
    ok = cur.rowcount == 1
    return Response('{"ok":true}' if ok else '{"ok":false}', status=201 if ok else 409, mimetype="application/json")


@app.post("/floor/release/<int:product_id>")
def release(product_id: int) -> Response:
    _conn().execute("UPDATE stock_balance SET reserved = reserved - 1, version = version + 1 "
                    "WHERE product_id = %s AND warehouse_id = %s AND bucket = 0", (product_id, _WAREHOUSE))
    return Response('{"ok":true}', status=200, mimetype="application/json")


@app.get("/healthz")
def healthz() -> Response:
    return Response('{"status":"ok"}', mimetype="application/json")

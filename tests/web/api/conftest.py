"""Fixtures for the stock API contract tests: a small network, products, tokens."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.stock.models import Warehouse
from tests.factories import make_api_client, make_product, make_warehouse, receive_stock

ALL_SCOPES = ("stock:read", "stock:write", "stock:sync")


@dataclass
class Net:
    cloud: Warehouse
    north: Warehouse  # forward, region "north"
    east: Warehouse  # forward, region "east"
    towel: Product
    mask: Product
    token: str  # read + write + sync
    read_token: str  # stock:read only


class Api:
    """A thin JSON client over the Flask test client (the real HTTP stack in-process)."""

    def __init__(self, client: Any, token: str | None) -> None:
        self.client, self.token = client, token

    def _headers(self, token: str | None, key: str | None, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        headers.update(extra or {})
        return headers

    def get(self, path: str, token: str | None = "default", **params: Any) -> Any:
        token = self.token if token == "default" else token
        return self.client.get("/api/v1" + path, query_string=params, headers=self._headers(token, None, None))

    def send(self, method: str, path: str, body: Any = None, *, token: str | None = "default", key: str | None = None,
             headers: dict[str, str] | None = None, raw: bytes | None = None) -> Any:
        token = self.token if token == "default" else token
        kwargs: dict[str, Any] = {"headers": self._headers(token, key, headers)}
        if raw is not None:
            kwargs["data"] = raw
        elif body is not None:
            kwargs["json"] = body
        return self.client.open("/api/v1" + path, method=method, **kwargs)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.send("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.send("PUT", path, body, **kw)


@pytest.fixture
def net(session: Session) -> Net:
    cloud = make_warehouse(session, code="CN-CLOUD", kind="cloud", region="national", city="Wuhan")
    north = make_warehouse(session, code="BJ-01", kind="forward", region="north", city="Beijing")
    east = make_warehouse(session, code="SH-01", kind="forward", region="east", city="Shanghai")
    towel, mask = make_product(session, sku="TOWEL-1"), make_product(session, sku="MASK-9")
    receive_stock(session, towel, cloud, 50)
    receive_stock(session, towel, north, 5)
    receive_stock(session, towel, east, 8)
    receive_stock(session, mask, cloud, 3)
    _c, token = make_api_client(session, ALL_SCOPES)
    _r, read_token = make_api_client(session, ("stock:read",))
    session.commit()  # a savepoint of the test's outer transaction: visible to the app's sessions
    return Net(cloud, north, east, towel, mask, token, read_token)


@pytest.fixture
def api(client: Any, net: Net) -> Api:
    return Api(client, net.token)

"""The CSV import flow over HTTP: upload → preview → confirm; roles."""
from __future__ import annotations

import io
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalog.models import Product
from tests.web.clients import csrf_token, login_as


def _upload(client: Any, kind: str, content: bytes) -> Any:
    token = csrf_token(client.get("/import/").text)
    return client.post("/import/", data={"csrf_token": token, "kind": kind,
                                         "file": (io.BytesIO(content), "file.csv")},
                       content_type="multipart/form-data")


def test_preview_names_bad_rows_and_confirm_imports_a_good_file(client: Any, session: Session) -> None:
    login_as(client, session, "purchasing")
    bad = _upload(client, "products", b"sku,name,unit_cost\nHL-1,Towel,1\nHL-2,,2\n")
    assert bad.status_code == 422
    assert "Row 3" in bad.text and "<code>name</code>" in bad.text and "confirm-import" not in bad.text
    good = _upload(client, "products", b"sku,name,unit_cost\nHL-1,Towel,1\nHL-2,Soap,2\n")
    assert good.status_code == 200 and "HL-2" in good.text
    assert session.scalar(select(func.count()).select_from(Product)) == 0  # the preview wrote nothing
    token = good.text.split('name="token" type="hidden" value="')[1].split('"')[0]
    resp = client.post("/import/confirm", data={"csrf_token": csrf_token(good.text), "kind": "products", "token": token})
    assert resp.status_code == 302
    assert session.scalar(select(func.count()).select_from(Product)) == 2


def test_import_roles(client: Any, session: Session) -> None:
    login_as(client, session, "viewer")
    assert client.get("/import/").status_code == 403
    other = client.application.test_client()
    login_as(other, session, "warehouse")
    assert _upload(other, "products", b"sku,name\nA,B\n").status_code == 403
    assert _upload(other, "opening_stock", b"warehouse,sku,quantity\nX,Y,1\n").status_code == 422

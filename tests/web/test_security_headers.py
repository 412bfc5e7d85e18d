"""HSTS behind HTTPS, no caching of signed-in pages, error redirects only to this site
(issue 9 item 10)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app import create_app
from tests.web.clients import login_as


def test_signed_in_pages_and_api_answers_are_not_stored(client: Any, session: Session) -> None:
    login_page = client.get("/login")
    assert "no-store" not in login_page.headers.get("Cache-Control", "")
    login_as(client, session, "viewer")
    for path in ("/dashboard", "/products", "/purchase-orders"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["Cache-Control"] == "no-store", path
    api = client.get("/api/v1/warehouses", headers={"Authorization": "Bearer sw_unknown"})
    assert api.headers["Cache-Control"] == "no-store"


def test_hsts_is_sent_only_when_cookies_are_https_only(
        engine: Any, database_url: str, instance_dir: Path, client: Any) -> None:
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x", "INSTANCE_DIR": str(instance_dir),
                         "TESTING": True, "ENGINE": engine, "SESSION_COOKIE_SECURE": True})
    resp = secure.test_client().get("/login", base_url="https://localhost")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(resp.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 15_552_000

"""/metrics lists API client names: only an admin token or an allowed address may read it
(issue 9 item 10; STOCKWISE_METRICS_ALLOW_NETS in docs/deploy.md)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tests.factories import make_api_client


def test_metrics_need_an_admin_token(client: Any, session: Session) -> None:
    _r, read_token = make_api_client(session, ("stock:read", "stock:write", "stock:sync"))
    _a, admin_token = make_api_client(session, ("admin",), name="prometheus")
    session.commit()
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert "stockwise_" not in anonymous.text
    assert client.get("/metrics", headers={"Authorization": "Bearer sw_not-a-token"}).status_code == 401
    lacking = client.get("/metrics", headers={"Authorization": f"Bearer {read_token}"})
    assert lacking.status_code == 403 and "stockwise_" not in lacking.text
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {admin_token}"})
    assert ok.status_code == 200 and "stockwise_http_requests_total" in ok.text


def test_an_allowed_address_may_scrape_without_a_token(app: Any, client: Any) -> None:
    app.config["METRICS_ALLOW_NETS"] = "10.0.0.0/8, 127.0.0.1"
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.168.1.5"}).status_code == 401
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 401


def test_without_the_setting_no_address_is_trusted(client: Any) -> None:
    assert client.get("/metrics").status_code == 401

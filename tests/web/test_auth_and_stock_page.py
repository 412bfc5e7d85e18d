"""Staff login and the stock overview through the real HTTP stack (test client)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from tests.factories import PASSWORD, make_category, make_product, make_staff_user, make_warehouse, receive_stock
from tests.web.clients import login_staff


def test_stock_page_requires_login(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/stock")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_login_without_csrf_token_is_refused(client, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_staff_user(session, "viewer")
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 400


def test_wrong_password_is_refused_and_repeated_failures_are_throttled(client, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_staff_user(session, "viewer")
    for _ in range(5):
        assert login_staff(client, user.email, "wrong password!").status_code == 401
    resp = login_staff(client, user.email)  # right password, but the account is throttled
    assert resp.status_code == 429
    assert "Too many failed logins" in resp.text


def test_login_sets_a_hardened_session_cookie(client, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_staff_user(session, "viewer")
    resp = login_staff(client, user.email)
    assert resp.status_code == 302
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_stock_overview_lists_filters_and_searches(client, session: Session) -> None:  # type: ignore[no-untyped-def]
    cat = make_category(session, name="Health")
    towel = make_product(session, sku="HL-TOWEL-1", name="Bamboo towel", category_id=cat.id)
    mask = make_product(session, sku="HE-MASK-9", name="Face mask")
    north, south = make_warehouse(session, code="BJ-01"), make_warehouse(session, code="GZ-01")
    receive_stock(session, towel, north, 12)
    receive_stock(session, mask, south, 5)
    user = make_staff_user(session, "viewer")
    login_staff(client, user.email)

    page = client.get("/stock")
    assert page.status_code == 200
    assert "HL-TOWEL-1" in page.text and "HE-MASK-9" in page.text

    by_search = client.get("/stock?q=towel")
    assert "HL-TOWEL-1" in by_search.text and "HE-MASK-9" not in by_search.text

    by_warehouse = client.get("/stock?warehouse=GZ-01")
    assert "HE-MASK-9" in by_warehouse.text and "HL-TOWEL-1" not in by_warehouse.text

    by_category = client.get(f"/stock?category={cat.code}")
    assert "HL-TOWEL-1" in by_category.text and "HE-MASK-9" not in by_category.text


def test_stock_overview_rejects_an_unknown_warehouse_filter(client, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_staff_user(session, "viewer")
    login_staff(client, user.email)
    resp = client.get("/stock?warehouse=NOPE")
    assert resp.status_code == 422
    assert 'data-field="warehouse"' in resp.text


def test_stock_overview_pages_through_more_rows_than_fit_on_one_page(client, session: Session) -> None:  # type: ignore[no-untyped-def]
    warehouse = make_warehouse(session, code="SH-01")
    for n in range(51):
        receive_stock(session, make_product(session, sku=f"PG-{n:03d}"), warehouse, 1)
    user = make_staff_user(session, "viewer")
    login_staff(client, user.email)

    first = client.get("/stock?warehouse=SH-01")
    assert first.status_code == 200 and "Next" in first.text and "page=2" in first.text
    second = client.get("/stock?warehouse=SH-01&page=2")
    assert second.status_code == 200 and "Previous" in second.text and "warehouse=SH-01" in second.text

"""The browsable API reference: every operation carries a request and response example that
the operation's own models accept, and /api/v1/docs serves Swagger UI from our own static files."""
from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import TypeAdapter

from app.api import views  # noqa: F401  (registers the operations)
from app.api.examples import EXAMPLES
from app.api.routing import OPERATIONS
from app.api.schemas import Problem


def test_every_operation_has_examples_its_models_accept() -> None:
    assert {op.name for op in OPERATIONS} == set(EXAMPLES)
    for op in OPERATIONS:
        ex = EXAMPLES[op.name]
        if op.body is not None:
            op.body.model_validate_json(json.dumps(ex["request"]))  # strict, as the API parses it
        else:
            assert "request" not in ex, op.name
        expected_params = set(op.path_params) | (set(op.query.model_fields) if op.query else set())
        assert set(op.path_params) <= set(ex.get("parameters", {})), op.name
        assert set(ex.get("parameters", {})) <= expected_params | ({"Idempotency-Key"} if op.idempotent else set())
        if op.query is not None:
            op.query.model_validate({k: v for k, v in ex["parameters"].items() if k in op.query.model_fields})
        for name, annotation in op.path_params.items():
            TypeAdapter(annotation).validate_python(ex["parameters"][name])
        success = [status for status in op.responses if status < 300]
        assert any(status in ex["responses"] for status in success), op.name
        for status, body in ex["responses"].items():
            assert status in op.responses or status in op.errors, (op.name, status)
            model = op.responses.get(status) if status < 300 else Problem
            if model is not None:
                model.model_validate(body)


@pytest.mark.parametrize("method_path", [("post", "/api/v1/reservations"), ("put", "/api/v1/products/{sku}"),
                                         ("get", "/api/v1/stock")])
def test_the_document_carries_the_examples(client: Any, method_path: tuple[str, str]) -> None:
    method, path = method_path
    op = client.get("/api/v1/openapi.json").get_json()["paths"][path][method]
    ok = next(v for k, v in op["responses"].items() if k.startswith("2"))
    assert "example" in ok["content"]["application/json"]
    if method in ("post", "put"):
        assert "example" in op["requestBody"]["content"]["application/json"]
    assert all("example" in p for p in op.get("parameters", []) if p["in"] != "header")


def test_docs_page_serves_swagger_ui_from_our_static_files(client: Any) -> None:
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200
    html = resp.text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html and "/api/v1/openapi.json" in html
    assert "https://" not in html and "http://" not in html  # nothing from elsewhere
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/vendor/swagger-ui/swagger-ui.css").status_code == 200


def test_admin_api_clients_page_links_the_reference(client: Any, session: Any) -> None:
    from tests.factories import make_staff_user
    from tests.web.clients import login_staff

    login_staff(client, make_staff_user(session, "admin").email)
    html = client.get("/admin/api-clients").text
    assert 'href="/api/v1/docs"' in html

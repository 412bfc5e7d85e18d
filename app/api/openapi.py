"""The OpenAPI 3.1 document, generated from the operations and pydantic models that
validate requests (pydantic emits JSON Schema 2020-12, which OpenAPI 3.1 uses as is)."""
from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from app.api.examples import EXAMPLES
from app.api.idempotency import KEY_HEADER
from app.api.routing import OPERATIONS, Operation
from app.api.schemas import Problem

REF = "#/components/schemas/{model}"
ERROR_TEXT = {400: "Malformed JSON", 401: "Missing or unknown bearer token", 403: "Token lacks the scope",
              404: "Not found", 409: "Conflict with the current state (e.g. insufficient stock)",
              415: "Body is not application/json in UTF-8",
              422: "Invalid input (also a JSON key twice in one object); `errors` names each field"}


def _models() -> list[tuple[type[BaseModel], Any]]:
    seen: dict[tuple[type[BaseModel], str], None] = {(Problem, "serialization"): None}
    for op in OPERATIONS:
        if op.body is not None:
            seen[(op.body, "validation")] = None
        for model in op.responses.values():
            if model is not None:
                seen[(model, "serialization")] = None
    return list(seen)


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params = _bare_parameters(op)
    values = EXAMPLES.get(op.name, {}).get("parameters", {})
    for param in params:
        if param["name"] in values:
            param["example"] = values[param["name"]]
    return params


def _bare_parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name, annotation in op.path_params.items():
        params.append({"name": name, "in": "path", "required": True,
                       "schema": TypeAdapter(annotation).json_schema(ref_template=REF)})
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template=REF)
        required = set(schema.get("required", []))
        for name, prop in schema["properties"].items():
            param: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if prop.get("type") == "array":
                param.update(style="form", explode=True)
            params.append(param)
    if op.idempotent:
        params.append({"name": KEY_HEADER, "in": "header", "required": False,
                       "description": "Replays the first response for a repeated request (kept ≥ 24 h).",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"}})
    return params


def _ref(model: type[BaseModel], mode: str, names: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    return names[(model, mode)]


@cache
def build_document() -> dict[str, Any]:
    """The whole OpenAPI document (built once per process; operations are fixed at import)."""
    names, defs = models_json_schema(_models(), ref_template=REF)
    problem = {"application/problem+json": {"schema": _ref(Problem, "serialization", names)}}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        examples = EXAMPLES.get(op.name, {})
        shown = examples.get("responses", {})
        responses: dict[str, Any] = {}
        for status, model in op.responses.items():
            content = {"application/json": {"schema": _ref(model, "serialization", names)}} if model else {
                "application/json": {"schema": {"type": "object"}}}
            if status in shown:
                content["application/json"]["example"] = shown[status]
            responses[str(status)] = {"description": "OK" if status < 300 else str(status), "content": content}
        for status in op.errors:
            media = dict(problem["application/problem+json"])
            if status in shown:
                media["example"] = shown[status]
            resp: dict[str, Any] = {"description": ERROR_TEXT.get(status, "Error"),
                                    "content": {"application/problem+json": media}}
            if status == 401:
                resp["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
            responses[str(status)] = resp
        responses["503"] = {"description": "The database could not complete the request (its connection was lost); "
                                           "nothing was changed — retry after `Retry-After` seconds",
                            "content": problem, "headers": {"Retry-After": {"schema": {"type": "integer"}}}}
        operation: dict[str, Any] = {"operationId": op.name, "summary": op.summary, "responses": responses}
        params = _parameters(op)
        if params:
            operation["parameters"] = params
        if op.body is not None:
            body: dict[str, Any] = {"schema": _ref(op.body, "validation", names)}
            if "request" in examples:
                body["example"] = examples["request"]
            operation["requestBody"] = {"required": True, "content": {"application/json": body}}
        if op.scope is not None:
            operation["security"] = [{"bearer": [op.scope]}]
            operation["description"] = f"Requires the `{op.scope}` scope (or `admin`)."
        else:
            operation["security"] = []
        if op.description:
            operation["description"] = " ".join(filter(None, (operation.get("description"), op.description)))
        paths.setdefault("/api/v1" + op.path, {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Stockwise stock API", "version": "1.0.0",
                 "description": "Stock levels, reservations, warehouse sync and the change feed. "
                                "Authenticate with `Authorization: Bearer <token>` (Admin → API clients). "
                                "Browsable reference: /api/v1/docs."},
        # No jsonSchemaDialect: the OpenAPI 3.1 default dialect is JSON Schema 2020-12 with the OAS
        # vocabulary, which pydantic's schemas are; naming bare 2020-12 made Swagger UI warn.
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }

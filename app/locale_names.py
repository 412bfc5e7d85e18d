"""Master data (categories, warehouses) may carry a Chinese name next to its name: which one a page shows."""
from __future__ import annotations

from flask import has_request_context
from flask_babel import get_locale


def localized_name(name: str | None, name_zh: str | None) -> str:
    """`name_zh` while the request's UI language is Chinese and one is set, else `name` ("—" if none).

    Outside a request (CLI, API payloads, exports) the name is always `name`: stored data and
    machine-facing output stay language-neutral."""
    if name_zh and has_request_context() and str(get_locale() or "").startswith("zh"):
        return name_zh
    return "—" if name is None else name

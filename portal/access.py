"""The portal's access rule: a logged-in supplier user, nobody else."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, redirect, request, url_for
from flask_login import current_user


def supplier_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anonymous → the portal login; a staff session → 403 (it is not a supplier)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not getattr(current_user, "is_authenticated", False):
            return redirect(url_for("portal.login", next=request.full_path.rstrip("?")))
        if getattr(current_user, "kind", None) != "supplier":
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def current_supplier_id() -> int:
    return int(current_user.supplier_id)

"""Who may open a route: the one way a view declares it.

Every view carries an `AccessRule` set by one of the decorators below (the API's router
sets one per operation from its scope); `route_rules(app)` lists every route of the app
with the rule it declares, and a test fails when a route declares none.

- `staff_required(*roles)`: a logged-in staff user; with roles, one of them (admin always
  passes). Anonymous → the staff login; a supplier session or another role → 403.
- `supplier_required`: a logged-in supplier user. Anonymous → the portal login; staff → 403.
- `signed_in(realm)`: any logged-in user of that realm (their own account pages).
- `public(reason)`: no login; the reason says why (login form, health check, …).
- `declared(rule)`: the view checks access itself in a way a decorator cannot (e.g. a
  token or an allowed network); the rule says what it admits.

`role_allows(*roles)` answers the same question inside a view or template (whether to show
an action button); it never replaces the decorator.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user, login_required

if TYPE_CHECKING:
    from app.auth.login import Realm

View = Callable[..., Any]

PUBLIC, STAFF, SUPPLIER, TOKEN = "public", "staff", "supplier", "token"


@dataclass(frozen=True)
class AccessRule:
    """`realm` is who may come (public | staff | supplier | token); `roles` the staff roles
    (empty: every staff role; admin always passes) or the token scopes; `note` why/how."""

    realm: str
    roles: tuple[str, ...] = ()
    note: str = ""

    def __str__(self) -> str:
        admits = ", ".join(self.roles) if self.roles else ("any" if self.realm != PUBLIC else "")
        return f"{self.realm}({admits})" + (f" — {self.note}" if self.note else "")


def declare(view: View, rule: AccessRule) -> View:
    view.access_rule = rule  # type: ignore[attr-defined]
    return view


def access_rule(view: View) -> AccessRule | None:
    """The rule a view function declares, or None (a route nobody declared: a bug)."""
    return getattr(view, "access_rule", None)


def declared(rule: AccessRule) -> Callable[[View], View]:
    """Declare the rule of a view that enforces it itself (see the module docstring)."""
    return lambda view: declare(view, rule)


def public(reason: str) -> Callable[[View], View]:
    """A route anyone may open; `reason` says why."""
    return declared(AccessRule(PUBLIC, note=reason))


def _is_staff() -> bool:
    return getattr(current_user, "kind", None) == "staff"


def role_allows(*roles: str) -> bool:
    """Whether the current user is staff with one of `roles`, or an admin."""
    return _is_staff() and (current_user.role == "admin" or current_user.role in roles)


def staff_required(*roles: str) -> Callable[[View], View]:
    """Require a logged-in staff user; with `roles`, one of them (admin always passes)."""

    def decorator(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not _is_staff() or (roles and not role_allows(*roles)):
                abort(403)
            return view(*args, **kwargs)

        return declare(wrapped, AccessRule(STAFF, tuple(roles)))

    return decorator


def supplier_required(view: View) -> View:
    """Anonymous → the portal login; a staff session → 403 (it is not a supplier)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not getattr(current_user, "is_authenticated", False):
            return redirect(url_for("portal.login", next=request.full_path.rstrip("?")))
        if getattr(current_user, "kind", None) != "supplier":
            abort(403)
        return view(*args, **kwargs)

    return declare(wrapped, AccessRule(SUPPLIER))


def signed_in(realm: Realm) -> Callable[[View], View]:
    """Any logged-in user of `realm`: anonymous → that realm's login; the other realm → 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not getattr(current_user, "is_authenticated", False):
                return redirect(url_for(realm.login, next=request.path))
            if current_user.kind != realm.kind:
                abort(403)
            return view(*args, **kwargs)

        return declare(wrapped, AccessRule(realm.kind, note="own account"))

    return decorator


def current_supplier_id() -> int:
    return int(current_user.supplier_id)


def route_rules(app: Flask) -> list[tuple[str, str, str, AccessRule | None]]:
    """(path, methods, endpoint, rule) for every route of `app`, sorted by path."""
    out = []
    for rule in app.url_map.iter_rules():
        methods = ",".join(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
        out.append((rule.rule, methods, rule.endpoint, access_rule(app.view_functions[rule.endpoint])))
    return sorted(out, key=lambda r: (r[0], r[1]))

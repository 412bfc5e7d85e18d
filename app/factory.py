"""The app factory: wires settings, database, extensions, blueprints and CLI; nothing else does."""
from __future__ import annotations

import logging
from inspect import iscoroutinefunction
from typing import Any

from flask import Flask, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import load_settings
from app.db import Database, close_session, make_engine
from app.web.errors import register_error_handlers

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()

LANGUAGES = ("en", "zh")
SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                    ("Referrer-Policy", "same-origin"))
# `create_app(config)` keys that are settings (app/config.py), not Flask config.
SETTING_KEYS = {"DATABASE_URL", "SECRET_KEY", "LOG_LEVEL", "INSTANCE_DIR", "SESSION_COOKIE_SECURE", "TRUSTED_PROXIES"}


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per key set
    rather than twice per request (opening and saving each built one: 0.05 ms of CPU
    per request under the profiler, on every API call too)."""

    _cached: tuple[Any, Any] | None = None

    def get_signing_serializer(self, app: Flask) -> Any:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._cached
        if cached is None or cached[0] != keys:
            cached = self._cached = (keys, super().get_signing_serializer(app))
        return cached[1]


class StockwiseFlask(Flask):
    """Flask, minus per-request work that never changes: whether a view or hook is a
    coroutine is looked up once per function, not on every call (8 calls per request)."""

    session_interface = _SessionInterface()
    _sync: dict[Any, Any]

    def ensure_sync(self, func: Any) -> Any:
        try:
            return self._sync[func]
        except AttributeError:
            self._sync = {}
        except KeyError:
            pass
        out = self._sync[func] = super().ensure_sync(func) if iscoroutinefunction(func) else func
        return out


def _select_locale() -> str:
    if getattr(current_user, "is_authenticated", False):
        return getattr(current_user, "locale", None) or "en"
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides settings (DATABASE_URL, SECRET_KEY, TESTING, …)."""
    config = dict(config or {})
    engine = config.pop("ENGINE", None)
    settings = load_settings({k: v for k, v in config.items() if k in SETTING_KEYS})
    app = StockwiseFlask(__name__, template_folder="web/templates", static_folder="web/static",
                instance_path=str(settings.instance_dir))
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        DATABASE_URL=settings.database_url,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        BABEL_TRANSLATION_DIRECTORIES="translations",
        JSON_SORT_KEYS=False,
        WEBHOOK_ALLOW_NETS=settings.webhook_allow_nets,
        METRICS_ALLOW_NETS=settings.metrics_allow_nets,
    )
    app.config.update({k: v for k, v in config.items() if k not in SETTING_KEYS})
    if settings.trusted_proxies:
        # The client address (login throttle, audit) and scheme come from X-Forwarded-For/-Proto,
        # read only through this many proxies: an entry a client wrote itself is never believed.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies,  # type: ignore[method-assign]
                                x_proto=settings.trusted_proxies)
    app.extensions["stockwise_db"] = Database(engine or make_engine(settings.database_url))
    app.teardown_request(close_session)  # the test client may share one app context
    app.teardown_appcontext(close_session)

    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    from app.auth.session import load_user

    login_manager.user_loader(load_user)
    register_error_handlers(app)
    _register_blueprints(app)
    _declare_static(app)
    _register_cli(app)

    @app.after_request
    def _security_headers(resp: Any) -> Any:
        headers = resp.headers
        present = {name.lower() for name, _ in headers.items()}  # one pass, not one per header
        for name, value in SECURITY_HEADERS:
            if name.lower() not in present:
                headers.add(name, value)
        req = request._get_current_object()  # type: ignore[attr-defined]
        if not req.path.startswith("/api/") and "content-security-policy" not in present:
            headers.add("Content-Security-Policy",
                        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'")
        if app.config["SESSION_COOKIE_SECURE"] and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", "max-age=31536000")  # HTTPS only: tell browsers to stay there
        if "cache-control" not in present and req.endpoint != "static" and (
                "Authorization" in req.headers or getattr(current_user, "is_authenticated", False)):
            # A signed-in page or an API answer must not stay in a shared or browser cache.
            headers["Cache-Control"] = "no-store"
        return resp

    from app.web.nav import has_endpoint, nav_entries, nav_items

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {"current_locale": _select_locale(), "languages": LANGUAGES, "nav_items": nav_items, "nav_entries": nav_entries,
                "has_endpoint": has_endpoint}

    from app.web.filters import register_filters

    register_filters(app)

    return app


def _register_blueprints(app: Flask) -> None:
    from app.admin.views import bp as admin_bp
    from app.alerts.views import bp as alerts_bp
    from app.api import blueprint as api_blueprint
    from app.auth.views import bp as auth_bp
    from app.catalog.views import bp as catalog_bp
    from app.clearance.views import bp as clearance_bp
    from app.counts.views import bp as counts_bp
    from app.imports.views import bp as imports_bp
    from app.ops.prometheus import instrument
    from app.ops.views import bp as ops_bp
    from app.planning.views import bp as planning_bp
    from app.purchasing import receiving_views, return_views, views  # noqa: F401  (their routes go on purchasing_bp)
    from app.purchasing.web import bp as purchasing_bp
    from app.suppliers.scorecards.views import bp as scorecards_bp
    from app.suppliers.views import bp as suppliers_bp
    from app.transfers.views import bp as transfers_bp
    from app.web.views import bp as web_bp
    from portal import pages_blueprint as portal_blueprint

    api_bp, portal_bp = api_blueprint(), portal_blueprint()
    csrf.exempt(api_bp)  # bearer-token API: no cookies, no CSRF
    instrument(app)
    for bp in (auth_bp, web_bp, catalog_bp, suppliers_bp, purchasing_bp, transfers_bp, counts_bp, alerts_bp,
               admin_bp, imports_bp, api_bp, ops_bp, portal_bp, scorecards_bp, planning_bp, clearance_bp):
        app.register_blueprint(bp)


def _declare_static(app: Flask) -> None:
    """Flask's own static route is public like every vendored asset; say so (app.auth.access)."""
    from app.auth.access import public

    serve = app.view_functions["static"]

    @public("vendored CSS, JS and fonts")
    def static(**kwargs: Any) -> Any:
        return serve(**kwargs)

    app.view_functions["static"] = static


def _register_cli(app: Flask) -> None:
    from app.cli import register

    register(app)

"""Staff users, supplier users, API clients and login throttles (rate limiting)."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, BigId, UTCDateTime, enum_check, utcnow
from app.suppliers.models import Supplier


class Role(enum.StrEnum):
    ADMIN = "admin"
    PURCHASING = "purchasing"
    WAREHOUSE = "warehouse"
    VIEWER = "viewer"


class Scope(enum.StrEnum):
    STOCK_READ = "stock:read"
    STOCK_WRITE = "stock:write"
    STOCK_SYNC = "stock:sync"
    ADMIN = "admin"


class StaffUser(Base):
    __tablename__ = "staff_user"
    __table_args__ = (CheckConstraint(enum_check("role", Role), name="role_valid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Part of the session id (see app.auth.session): raising it ends every session of the user.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class SupplierUser(Base):
    """A login of one supplier on the portal; invited by an admin, sets its own password."""

    __tablename__ = "supplier_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    invite_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Part of the session id (see app.auth.session): raising it ends every session of the user.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    supplier: Mapped[Supplier] = relationship()


class ApiClient(Base):
    """A caller of the stock API. Only the SHA-256 of its token is stored.

    `webhook_cursor` is the last change-log `seq` delivered to `webhook_url`.
    """

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[str] = mapped_column(String(255))  # space-separated Scope values
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(128))
    webhook_cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    webhook_next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    webhook_failures: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class WebhookDelivery(Base):
    """One attempt to POST a batch of changes (seq range) to a client's webhook."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_client", "api_client_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    api_client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id"))
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    attempt: Mapped[int] = mapped_column(Integer)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    response_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginThrottle(Base):
    """One login rate-limit counter: per (realm, e-mail, client address), or per (realm, client
    address) when `email` is "". See app/auth/throttle.py for how it is claimed atomically.

    `attempts` counts password checks claimed in the window that ends at `window_ends_at`
    (including ones still in flight); `strikes` counts windows in a row that ran out, and
    lengthens the next one (back-off).
    """

    __tablename__ = "login_throttle"
    __table_args__ = (Index("ix_login_throttle_window_ends_at", "window_ends_at"),)

    realm: Mapped[str] = mapped_column(String(16), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    ip: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    strikes: Mapped[int] = mapped_column(Integer, default=0)
    window_ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

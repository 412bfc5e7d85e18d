"""Every setting, read from the environment once, here."""
from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INSTANCE_DIR = Path(os.environ.get("STOCKWISE_INSTANCE", Path(__file__).resolve().parent.parent / "instance"))


class ConfigError(RuntimeError):
    """A setting is unusable; the message is one line meant for an operator."""


def _secret_key(instance_dir: Path) -> str:
    """SECRET_KEY from the environment, else generated once into instance/ and reused."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: two processes starting at once must agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str | Sequence[Network], name: str) -> tuple[Network, ...]:
    """"127.0.0.0/8, ::1" → networks; a bare address is a /32 (or /128). `ConfigError` naming `name`."""
    if not isinstance(value, str):
        return tuple(value)
    nets = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(f"{name}: {part!r} is not an address or network (e.g. 10.0.0.0/8)") from None
    return tuple(nets)


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    log_level: str = "INFO"
    instance_dir: Path = INSTANCE_DIR
    session_cookie_secure: bool = False
    # Webhook targets inside these ranges are allowed although private/loopback/reserved (docs/deploy.md).
    webhook_allow_nets: tuple[Network, ...] = ()
    # Who may scrape /metrics without an admin bearer token (docs/deploy.md).
    metrics_allow_nets: tuple[Network, ...] = ()
    trusted_proxies: int = 0  # reverse proxies in front of the app whose X-Forwarded-For/-Proto we believe
    extra: dict[str, Any] = field(default_factory=dict)


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    overrides = dict(overrides or {})
    instance_dir = Path(overrides.pop("INSTANCE_DIR", INSTANCE_DIR))
    database_url = overrides.pop("DATABASE_URL", None) or os.environ.get("DATABASE_URL") or (
        f"sqlite:///{instance_dir / 'stockwise.sqlite3'}"
    )
    if database_url.startswith("postgres://") or database_url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; the bare scheme would ask for psycopg2.
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    log_level = str(overrides.pop("LOG_LEVEL", os.environ.get("LOG_LEVEL", "INFO"))).upper()
    if log_level not in logging.getLevelNamesMapping():
        raise ConfigError(f"LOG_LEVEL={log_level!r} is not a logging level (DEBUG, INFO, WARNING, ERROR)")
    secret_key = overrides.pop("SECRET_KEY", None) or _secret_key(instance_dir)
    secure = overrides.pop("SESSION_COOKIE_SECURE", None)
    if secure is None:
        secure = os.environ.get("SESSION_COOKIE_SECURE", "0").lower() in {"1", "true", "yes"}
    raw_proxies = str(overrides.pop("TRUSTED_PROXIES", os.environ.get("STOCKWISE_TRUSTED_PROXIES", "0"))).strip()
    if not raw_proxies.isdigit() or int(raw_proxies) > 10:
        raise ConfigError(f"STOCKWISE_TRUSTED_PROXIES={raw_proxies!r} must be a whole number of proxies, 0 to 10")
    return Settings(
        webhook_allow_nets=parse_networks(os.environ.get("STOCKWISE_WEBHOOK_ALLOW_NETS", ""),
                                          "STOCKWISE_WEBHOOK_ALLOW_NETS"),
        metrics_allow_nets=parse_networks(os.environ.get("STOCKWISE_METRICS_ALLOW_NETS", ""),
                                          "STOCKWISE_METRICS_ALLOW_NETS"),
        database_url=database_url,
        secret_key=secret_key,
        log_level=log_level,
        instance_dir=instance_dir,
        session_cookie_secure=bool(secure),
        trusted_proxies=int(raw_proxies),
        extra=overrides,
    )

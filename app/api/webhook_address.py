"""Where a webhook may be sent: public addresses only, unless the operator allows a range.

A webhook URL chosen by an admin must not reach the service's own neighbourhood (Redis on
127.0.0.1:6379, the cloud metadata service on 169.254.169.254, the private network), so
loopback, link-local, private, shared, multicast, reserved and unspecified addresses are
refused — in every spelling (`http://2130706433/` is 127.0.0.1), since the check is on the
resolved address. Checked twice: when the URL is saved (`check_webhook_url`, every address
the name resolves to) and at delivery (`webhook_session`), on the address actually connected
to, because DNS may answer differently later. `STOCKWISE_WEBHOOK_ALLOW_NETS`
(`app.config["WEBHOOK_ALLOW_NETS"]`) lists ranges allowed anyway. Redirects are never followed.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from app.config import Network, parse_networks
from app.errors import ValidationFailed

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def allowed_networks() -> tuple[Network, ...]:
    """The operator's allowed ranges (STOCKWISE_WEBHOOK_ALLOW_NETS) of the current app."""
    return parse_networks(current_app.config.get("WEBHOOK_ALLOW_NETS") or (), "WEBHOOK_ALLOW_NETS")


def refusal(address: str, allow: Sequence[Network]) -> str | None:
    """Why a webhook may not go to `address` (an IP literal), or None if it may."""
    ip: Address = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(ip.version == net.version and ip in net for net in allow):
        return None
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if not ip.is_global:  # private, shared (100.64/10), reserved, documentation, unspecified
        return f"{ip} is a private or reserved address"
    return None


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(f"webhook URL refused: {message}", [{"field": "webhook_url", "message": message}])


def check_webhook_url(url: str, allow: Sequence[Network] | None = None) -> None:
    """Raise `ValidationFailed` (field ``webhook_url``) unless `url` is http(s) with a host whose
    every resolved address is allowed. A name that does not resolve now is accepted: the
    address is checked again at every delivery."""
    allow = allowed_networks() if allow is None else allow
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise _invalid(f"not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid("use an http:// or https:// URL with a host")
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return
    for info in infos:
        reason = refusal(str(info[4][0]), allow)
        if reason is not None:
            raise _invalid(f"{parts.hostname} resolves to {reason}; the operator setting "
                           "STOCKWISE_WEBHOOK_ALLOW_NETS can allow a range")


class AddressRefused(NewConnectionError):
    """The connection reached an address the policy refuses; it was closed before sending."""


class _Checked:
    """Mixin for urllib3 connections: check the peer address right after connecting."""

    allow: tuple[Network, ...] = ()
    opened: list[socket.socket] | None = None
    lock = threading.Lock()

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        reason = refusal(str(sock.getpeername()[0]), self.allow)
        if reason is not None:
            sock.close()
            raise AddressRefused(self, f"webhook address refused: {reason}")  # type: ignore[arg-type]
        if self.opened is not None:
            with self.lock:
                self.opened.append(sock)
        return sock


class _Adapter(HTTPAdapter):
    def __init__(self, allow: tuple[Network, ...], opened: list[socket.socket]) -> None:
        self._classes = {
            "http": type("CheckedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": type(
                "CheckedHTTPConnection", (_Checked, HTTPConnection), {"allow": allow, "opened": opened})}),
            "https": type("CheckedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": type(
                "CheckedHTTPSConnection", (_Checked, HTTPSConnection), {"allow": allow, "opened": opened})}),
        }
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._classes


def webhook_session(allow: Sequence[Network]) -> tuple[requests.Session, list[socket.socket]]:
    """A requests session for one delivery that connects only to allowed addresses, ignores
    proxy settings from the environment (the peer must be the receiver itself), and lists
    the sockets it opened (so a watchdog can cut a delivery that overruns its deadline)."""
    opened: list[socket.socket] = []
    http = requests.Session()
    http.trust_env = False
    adapter = _Adapter(tuple(allow), opened)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http, opened

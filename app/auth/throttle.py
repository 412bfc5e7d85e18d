"""Login rate limiting that holds under concurrency and cannot lock other people out.

Two counters guard every password check of a realm (staff, portal):
- per (e-mail, client address): `PER_ACCOUNT_ADDRESS` checks per window — the right
  password from another address still works, so nobody can keep an account locked;
- per client address: `PER_ADDRESS` checks per window — one address cannot try many
  accounts (behind a proxy the address is the client's only with `STOCKWISE_TRUSTED_PROXIES`).

A check is *claimed* before the password is hashed, by one conditional
`UPDATE … WHERE attempts < limit RETURNING`: the database serialises updates of one row,
so however many requests race, at most the limit get a slot (across threads, workers and
hosts; no Redis needed). The claim commits before the slow hash, so no lock is held
while hashing. A successful login gives its slots back (the address one) or clears the
counter (the account one); a failed one keeps them.

Back-off: a window starts with the first check and lasts `LOGIN_WINDOW`; when it ran out,
the next window is twice as long (`strikes`), up to `LOGIN_WINDOW × 2**MAX_STRIKES`; a
window that did not run out, or a successful login, resets it.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any, cast

from sqlalchemy import Table, and_, case, delete, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.auth.models import LoginThrottle
from app.db import UTCDateTime
from app.errors import N_, Conflict

LOGIN_WINDOW = dt.timedelta(minutes=15)
MAX_STRIKES = 4  # longest window: 15 min × 16 = 4 h
PER_ACCOUNT_ADDRESS = 5
PER_ADDRESS = 20
FORGET_AFTER = dt.timedelta(days=1)  # a counter whose window ended this long ago is deleted

_T = cast(Table, LoginThrottle.__table__)
ADDRESS_ONLY = ""  # the `email` of a per-address counter


class LoginThrottled(Conflict):
    code = "login-throttled"
    title = N_("Too many failed logins")
    status = 429

    def __init__(self, retry_at: dt.datetime, now: dt.datetime) -> None:
        self.retry_after_seconds = max(1, math.ceil((retry_at - now).total_seconds()))
        self.retry_after_minutes = math.ceil(self.retry_after_seconds / 60)
        super().__init__(N_("too many failed logins; try again in %(minutes)s minutes",
                            minutes=self.retry_after_minutes))


def _key(realm: str, email: str, ip: str) -> Any:
    return and_(_T.c.realm == realm, _T.c.email == email, _T.c.ip == ip)


def _ensure_counter(session: Session, realm: str, email: str, ip: str, now: dt.datetime) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(_T).values(realm=realm, email=email, ip=ip, attempts=0, strikes=0,
                                              window_ends_at=now).on_conflict_do_nothing())


def _claim(session: Session, realm: str, email: str, ip: str, limit: int, now: dt.datetime) -> bool:
    """One slot of the counter, atomically; False when its window has run out."""
    _ensure_counter(session, realm, email, ip, now)
    ends = [literal(now + LOGIN_WINDOW * 2**k, UTCDateTime()) for k in range(MAX_STRIKES + 1)]
    window_open = _T.c.window_ends_at > now
    ran_out = _T.c.attempts >= limit
    # SET expressions all see the row as it was before this UPDATE.
    stmt = (
        update(_T)
        .where(_key(realm, email, ip), or_(_T.c.window_ends_at <= now, _T.c.attempts < limit))
        .values(
            attempts=case((window_open, _T.c.attempts + 1), else_=1),
            strikes=case((window_open, _T.c.strikes),
                         (ran_out, case((_T.c.strikes >= MAX_STRIKES, MAX_STRIKES), else_=_T.c.strikes + 1)),
                         else_=0),
            window_ends_at=case((window_open, _T.c.window_ends_at),
                                (ran_out, case(*((_T.c.strikes == k, ends[k + 1]) for k in range(MAX_STRIKES)),
                                               else_=ends[MAX_STRIKES])),
                                else_=ends[0]),
        )
        .returning(_T.c.attempts)
    )
    return session.execute(stmt).first() is not None


def _give_back(session: Session, realm: str, email: str, ip: str, now: dt.datetime) -> None:
    session.execute(update(_T).where(_key(realm, email, ip), _T.c.window_ends_at > now, _T.c.attempts > 0)
                    .values(attempts=_T.c.attempts - 1))


def _blocked_until(session: Session, realm: str, email: str, ip: str) -> dt.datetime:
    return cast(dt.datetime, session.scalar(select(LoginThrottle.window_ends_at).where(_key(realm, email, ip))))


def claim_password_check(session: Session, *, realm: str, email: str, ip: str, now: dt.datetime) -> None:
    """Take one password check for `email` from `ip`, or raise `LoginThrottled` (nothing counted then).

    The caller commits this before hashing (see app/auth/login.py). Counters are taken in
    one order (address, then account), so concurrent claims never deadlock.
    """
    if not _claim(session, realm, ADDRESS_ONLY, ip, PER_ADDRESS, now):
        raise LoginThrottled(_blocked_until(session, realm, ADDRESS_ONLY, ip), now)
    if not _claim(session, realm, email, ip, PER_ACCOUNT_ADDRESS, now):
        _give_back(session, realm, ADDRESS_ONLY, ip, now)
        raise LoginThrottled(_blocked_until(session, realm, email, ip), now)


def settle_password_check(session: Session, *, realm: str, email: str, ip: str, succeeded: bool,
                          now: dt.datetime) -> None:
    """After the check: a success returns the address slot and clears the account counter;
    a failure keeps both. Also forgets counters idle for `FORGET_AFTER`."""
    if succeeded:
        _give_back(session, realm, ADDRESS_ONLY, ip, now)
        session.execute(update(_T).where(_key(realm, email, ip)).values(attempts=0, strikes=0, window_ends_at=now))
    session.execute(delete(_T).where(_T.c.window_ends_at < now - FORGET_AFTER))

"""Who may see and act on a reservation: the API client that created it, or an `admin` client.

One indexed primary-key lookup, done by the API layer before it calls the stock service, so
the rule lives in one place whatever the reservation write path does. Anyone else gets the
same 404 as for an id that does not exist: the answer must not reveal that it exists.
"""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.routing import ApiPrincipal
from app.errors import NotFound
from app.stock.models import Reservation

ADMIN = "admin"


def check_reservation_owner(session: Session, principal: ApiPrincipal, reservation_id: str) -> None:
    """Raise `NotFound` unless `principal` created the reservation or holds the `admin` scope.

    An admin client skips the lookup (the service answers 404 for an unknown id itself)."""
    if ADMIN in principal.scopes:
        return
    try:
        uuid.UUID(reservation_id)  # not an id: nothing to look up (and PostgreSQL refuses NUL bytes)
    except ValueError:
        raise NotFound(f"reservation {reservation_id} not found", field="id") from None
    owner = session.scalar(select(Reservation.api_client_id).where(
        Reservation.id == reservation_id, Reservation.api_client_id == principal.id))
    if owner is None:
        raise NotFound(f"reservation {reservation_id} not found", field="id")

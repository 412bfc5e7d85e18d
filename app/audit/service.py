"""Writing the audit log. Every state change records who, what, when."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.db import utcnow


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff user, a supplier user, an API client or the system."""

    kind: str  # staff | supplier | api | system
    id: int | None
    label: str

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls("system", None, label)

    @property
    def staff_id(self) -> int | None:
        """The staff user's id for `created_by_id`-style columns; None for suppliers, API clients, the system."""
        return self.id if self.kind == "staff" else None


def record_audit(
    session: Session, actor: Actor, action: str, entity_type: str, entity_id: Any = None, **details: Any
) -> None:
    """Append one audit row now, in the caller's transaction (one Core INSERT: cheaper than
    an ORM flush on the hot API paths, and written before the change log that ends a
    stock transaction)."""
    # The Table, not the mapped class: a Core insert does not autoflush the caller's pending objects.
    session.execute(insert(cast(Table, AuditEntry.__table__)).values(
        at=utcnow(),
        actor_type=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        details=json.dumps(details, default=str, sort_keys=True) if details else None,
    ))

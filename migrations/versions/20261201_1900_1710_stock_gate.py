"""the stock gate: a stock writer's locks are bounded, whatever the size of its document

Revision ID: 1710
Revises: 1601
Create Date: 2026-12-01 19:00:00

PostgreSQL only (SQLite serialises writers and has no lock table): `stock_gate(rows)` and
`stock_gate_limit()`; `stock_lock_balances`, `stock_lock_ids` and `stock_reserve_lock` take
the gate first — shared, then their per-row advisory locks as before, or, over the limit,
exclusive and no per-row advisory lock (docs/concurrency.md rules 1 and 11). The downgrade
restores 1601's three functions and drops the gate.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "1710"
down_revision: str | None = "1601"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).with_suffix(".sql")
DOWN_SQL = Path(__file__).with_name(Path(__file__).stem + "_down.sql")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SQL.read_text())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DOWN_SQL.read_text())

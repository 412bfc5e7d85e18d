"""change feed without the feed counter; reservations in one statement on PostgreSQL

Revision ID: 1201
Revises: 1102
Create Date: 2026-12-01 09:30:00

- Drops `feed_counter`: a change's cursor is now made of PostgreSQL's own transaction ids
  (see docs/concurrency.md, "The change feed"), so no row is shared by every writer.
- Creates the SQL functions that reserve, commit and release in one statement
  (`stock_reserve`, `stock_close`) and their helpers, from the .sql file next to this
  one (PostgreSQL only; SQLite keeps the Python path). A later change of the functions
  is a new migration with its own copy.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "1201"
down_revision: str | None = "1102"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).with_suffix(".sql")


def upgrade() -> None:
    op.drop_table("feed_counter")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SQL.read_text())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for fn in ("stock_close(integer, boolean, text, text, text, text, boolean, timestamptz)",
                   "stock_reserve(integer, text, text, text, text, text, text, timestamptz, timestamptz, "
                   "text[], integer[])",
                   "stock_reservation_json(text, text)", "stock_json_time(timestamptz)",
                   "stock_claim_key(integer, text, text, timestamptz)",
                   "stock_apply(integer[], integer[], integer[], integer[], timestamptz)",
                   "stock_lock_balances(integer[], integer[])",
                   "stock_feed_horizon()", "stock_feed_xid(xid)"):
            op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.create_table(
        "feed_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_counter")),
    )
    op.execute("INSERT INTO feed_counter (id, last_seq) VALUES (1, (SELECT coalesce(max(seq), 0) FROM stock_change))")

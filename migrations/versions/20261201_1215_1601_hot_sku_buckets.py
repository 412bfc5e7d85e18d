"""hot-SKU mode: a balance may be split into stock buckets

Revision ID: 1601
Revises: 1501
Create Date: 2026-12-01 12:15:00

- `stock_balance.bucket` (0 … n−1) and the unique key (product, warehouse, bucket): a hot
  SKU × warehouse is several rows, so concurrent reservations lock different rows.
- `reservation_allocation.bucket`: which bucket an allocation holds stock in.
- `stock_change.bucket`, `.buckets`, `.hidden`: the change log of a bucketed balance
  (the feed shows the sum of its buckets, one record per write).
- `hot_sku`: the SKUs in hot-SKU mode (marked by an admin or by the lock-wait scan).
- PostgreSQL: the one-statement reservation functions learn buckets (the .sql file next to
  this one replaces those of 1201; the downgrade restores 1201's).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "1601"
down_revision: str | None = "1501"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).with_suffix(".sql")
PREVIOUS_SQL = Path(__file__).with_name("20261201_1130_1201_feed_without_counter_and_one_statement_reservations.sql")
MAX_BUCKETS = 32
FUNCTIONS_1601 = ("stock_reserve_lock(integer[])", "stock_lock_ids(integer[])", "stock_balance_key(integer, integer, integer)",
                  "stock_plan(integer[], integer[], text[], text, integer[], text[], boolean)",
                  "stock_apply_buckets(integer[], integer[], integer[], timestamptz)",
                  "stock_rebalance(integer[], integer[])")
FUNCTIONS_1201 = ("stock_close(integer, boolean, text, text, text, text, boolean, timestamptz)",
                  "stock_reserve(integer, text, text, text, text, text, text, timestamptz, timestamptz, "
                  "text[], integer[])",
                  "stock_reservation_json(text, text)", "stock_json_time(timestamptz)",
                  "stock_claim_key(integer, text, text, timestamptz)",
                  "stock_apply(integer[], integer[], integer[], integer[], timestamptz)",
                  "stock_lock_balances(integer[], integer[])",
                  "stock_feed_horizon()", "stock_feed_xid(xid)")


def upgrade() -> None:
    with op.batch_alter_table("stock_balance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bucket", sa.SmallInteger(), server_default="0", nullable=False))
        batch_op.drop_constraint("uq_stock_balance_product_id_warehouse_id", type_="unique")
        batch_op.create_unique_constraint("uq_stock_balance_product_id_warehouse_id_bucket",
                                          ["product_id", "warehouse_id", "bucket"])
        batch_op.create_check_constraint("bucket_in_range", f"bucket >= 0 AND bucket < {MAX_BUCKETS}")
    with op.batch_alter_table("reservation_allocation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bucket", sa.SmallInteger(), server_default="0", nullable=False))
    with op.batch_alter_table("stock_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bucket", sa.SmallInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("buckets", sa.SmallInteger(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "hot_sku",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("buckets", sa.SmallInteger(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("marked_by", sa.String(length=120), nullable=False),
        sa.Column("waiters", sa.Float(), nullable=True),
        sa.CheckConstraint(f"buckets >= 2 AND buckets <= {MAX_BUCKETS}", name=op.f("ck_hot_sku_buckets_in_range")),
        sa.CheckConstraint("source IN ('admin', 'auto')", name=op.f("ck_hot_sku_source_valid")),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_hot_sku_product_id_product")),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_hot_sku")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SQL.read_text())


def downgrade() -> None:
    bind = op.get_bind()
    # Merge every bucket back into bucket 0 first (the allocations follow), then drop the columns.
    op.execute("UPDATE reservation_allocation SET bucket = 0 WHERE bucket <> 0")
    op.execute("UPDATE stock_balance SET on_hand = on_hand + (SELECT coalesce(sum(o.on_hand), 0) FROM stock_balance o "
               "WHERE o.product_id = stock_balance.product_id AND o.warehouse_id = stock_balance.warehouse_id "
               "AND o.bucket > 0), reserved = reserved + (SELECT coalesce(sum(o.reserved), 0) FROM stock_balance o "
               "WHERE o.product_id = stock_balance.product_id AND o.warehouse_id = stock_balance.warehouse_id "
               "AND o.bucket > 0) WHERE bucket = 0")
    op.execute("DELETE FROM stock_balance WHERE bucket > 0")
    if bind.dialect.name == "postgresql":
        for fn in FUNCTIONS_1601 + FUNCTIONS_1201:
            op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.drop_table("hot_sku")
    with op.batch_alter_table("stock_change", schema=None) as batch_op:
        batch_op.drop_column("hidden")
        batch_op.drop_column("buckets")
        batch_op.drop_column("bucket")
    with op.batch_alter_table("reservation_allocation", schema=None) as batch_op:
        batch_op.drop_column("bucket")
    with op.batch_alter_table("stock_balance", schema=None) as batch_op:
        batch_op.drop_constraint("bucket_in_range", type_="check")
        batch_op.drop_constraint("uq_stock_balance_product_id_warehouse_id_bucket", type_="unique")
        batch_op.create_unique_constraint("uq_stock_balance_product_id_warehouse_id", ["product_id", "warehouse_id"])
        batch_op.drop_column("bucket")
    if bind.dialect.name == "postgresql":
        op.execute(PREVIOUS_SQL.read_text())

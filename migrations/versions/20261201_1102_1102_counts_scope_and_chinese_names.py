"""Counts: scope (whole warehouse, category, picked SKUs, top value at risk) and who submitted
(separation of duties); optional Chinese names of categories and warehouses.

Revision ID: 1102
Revises: 0902
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "1102"
down_revision = "0902"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cycle_count", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=16), server_default="warehouse", nullable=False))
        batch_op.add_column(sa.Column("submitted_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_cycle_count_submitted_by_id_staff_user"), "staff_user",
                                    ["submitted_by_id"], ["id"])
        batch_op.create_check_constraint(
            batch_op.f("ck_cycle_count_scope_valid"), "scope IN ('warehouse', 'category', 'skus', 'top_value')")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_zh", sa.String(length=120), nullable=True))
    with op.batch_alter_table("warehouse", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_zh", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("warehouse", schema=None) as batch_op:
        batch_op.drop_column("name_zh")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_column("name_zh")
    with op.batch_alter_table("cycle_count", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_cycle_count_scope_valid"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_cycle_count_submitted_by_id_staff_user"), type_="foreignkey")
        batch_op.drop_column("submitted_by_id")
        batch_op.drop_column("scope")

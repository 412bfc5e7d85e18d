"""clearance: slow movers marked for clearance (markdown, transfer back, return to supplier)

Revision ID: 1501
Revises: 1401
Create Date: 2026-12-01 12:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '1501'
down_revision: str | None = '1401'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('clearance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=False),
    sa.Column('markdown_pct', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("action IN ('markdown', 'transfer_back', 'return_to_supplier')",
                       name=op.f('ck_clearance_action_valid')),
    sa.CheckConstraint("status IN ('open', 'done', 'cancelled')", name=op.f('ck_clearance_status_valid')),
    sa.CheckConstraint('markdown_pct IS NULL OR (markdown_pct > 0 AND markdown_pct < 100)',
                       name=op.f('ck_clearance_markdown_pct_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_clearance_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_clearance_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clearance'))
    )
    with op.batch_alter_table('clearance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearance_product_id'), ['product_id'], unique=False)
        batch_op.create_index('uq_clearance_open_product', ['product_id'], unique=True,
                              sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))


def downgrade() -> None:
    with op.batch_alter_table('clearance', schema=None) as batch_op:
        batch_op.drop_index('uq_clearance_open_product')
        batch_op.drop_index(batch_op.f('ix_clearance_product_id'))
    op.drop_table('clearance')

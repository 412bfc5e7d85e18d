"""forecast series: the seasonal naive's backtest MASE and RMSSE beside the forecast's

Revision ID: 1401
Revises: 1301
Create Date: 2026-12-01 09:50:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '1401'
down_revision: str | None = '1301'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('forecast_series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mase_seasonal_naive', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('rmsse_seasonal_naive', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('forecast_series', schema=None) as batch_op:
        batch_op.drop_column('rmsse_seasonal_naive')
        batch_op.drop_column('mase_seasonal_naive')

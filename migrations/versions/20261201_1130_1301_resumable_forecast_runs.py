"""resumable forecast runs: batches, worker heartbeats, unique forecast points

Revision ID: 1301
Revises: 1201
Create Date: 2026-12-01 09:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '1301'
down_revision: str | None = '1201'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('forecast_worker',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecast_worker'))
    )
    with op.batch_alter_table('forecast_worker', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forecast_worker_seen_at'), ['seen_at'], unique=False)

    op.create_table('forecast_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('first_product_id', sa.Integer(), nullable=False),
    sa.Column('last_product_id', sa.Integer(), nullable=False),
    sa.Column('series_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stats', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'done')", name=op.f('ck_forecast_batch_status_valid')),
    sa.ForeignKeyConstraint(['run_id'], ['forecast_run.id'], name=op.f('fk_forecast_batch_run_id_forecast_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecast_batch')),
    sa.UniqueConstraint('run_id', 'number', name=op.f('uq_forecast_batch_run_id_number'))
    )
    with op.batch_alter_table('forecast_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_day', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('history_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('batch_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('worker_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('elapsed_seconds', sa.Float(), nullable=False, server_default='0'))
        batch_op.create_foreign_key(batch_op.f('fk_forecast_run_worker_id_forecast_worker'), 'forecast_worker',
                                    ['worker_id'], ['id'])
    with op.batch_alter_table('forecast_run', schema=None) as batch_op:
        batch_op.alter_column('elapsed_seconds', server_default=None)

    with op.batch_alter_table('forecast_point', schema=None) as batch_op:
        batch_op.drop_index('ix_forecast_point_series')
        batch_op.create_index('ix_forecast_point_series', ['run_id', 'product_id', 'warehouse_id', 'ds'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('forecast_point', schema=None) as batch_op:
        batch_op.drop_index('ix_forecast_point_series')
        batch_op.create_index('ix_forecast_point_series', ['run_id', 'product_id', 'warehouse_id', 'ds'], unique=False)

    with op.batch_alter_table('forecast_run', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_forecast_run_worker_id_forecast_worker'), type_='foreignkey')
        batch_op.drop_column('elapsed_seconds')
        batch_op.drop_column('worker_id')
        batch_op.drop_column('batch_size')
        batch_op.drop_column('history_days')
        batch_op.drop_column('start_day')

    op.drop_table('forecast_batch')
    with op.batch_alter_table('forecast_worker', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forecast_worker_seen_at'))
    op.drop_table('forecast_worker')

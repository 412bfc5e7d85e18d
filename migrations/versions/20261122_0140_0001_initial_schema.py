"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 01:40:08.786089
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('token_prefix', sa.String(length=16), nullable=False),
    sa.Column('scopes', sa.String(length=255), nullable=False),
    sa.Column('webhook_url', sa.String(length=500), nullable=True),
    sa.Column('webhook_secret', sa.String(length=128), nullable=True),
    sa.Column('webhook_cursor', sa.BigInteger(), nullable=False),
    sa.Column('webhook_next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('webhook_failures', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_client')),
    sa.UniqueConstraint('name', name=op.f('uq_api_client_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_client_token_hash'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_type', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=True),
    sa.Column('details', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_log_entity', ['entity_type', 'entity_id'], unique=False)

    op.create_table('category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category')),
    sa.UniqueConstraint('code', name=op.f('uq_category_code')),
    sa.UniqueConstraint('name', name=op.f('uq_category_name'))
    )
    op.create_table('feed_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_counter'))
    )
    # The one counter row the change feed's cursors come from (see app/stock/models.py).
    op.execute("INSERT INTO feed_counter (id, last_seq) VALUES (1, 0)")
    op.create_table('login_attempt',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('realm', sa.String(length=16), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_email', ['realm', 'email', 'at'], unique=False)
        batch_op.create_index('ix_login_attempt_ip', ['realm', 'ip', 'at'], unique=False)

    op.create_table('setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting'))
    )
    op.create_table('staff_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('admin', 'purchasing', 'warehouse', 'viewer')", name=op.f('ck_staff_user_role_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_user')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_user_email'))
    )
    op.create_table('supplier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('country', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier')),
    sa.UniqueConstraint('code', name=op.f('uq_supplier_code'))
    )
    op.create_table('warehouse',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('city', sa.String(length=64), nullable=False),
    sa.Column('replenished_from_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind IN ('cloud', 'forward')", name=op.f('ck_warehouse_kind_valid')),
    sa.ForeignKeyConstraint(['replenished_from_id'], ['warehouse.id'], name=op.f('fk_warehouse_replenished_from_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warehouse')),
    sa.UniqueConstraint('code', name=op.f('uq_warehouse_code'))
    )
    op.create_table('cycle_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('cycle', 'full')", name=op.f('ck_cycle_count_kind_valid')),
    sa.CheckConstraint("status IN ('open', 'submitted', 'approved', 'cancelled')", name=op.f('ck_cycle_count_status_valid')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['staff_user.id'], name=op.f('fk_cycle_count_approved_by_id_staff_user')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_cycle_count_category_id_category')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_cycle_count_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_cycle_count_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_count')),
    sa.UniqueConstraint('number', name=op.f('uq_cycle_count_number'))
    )
    with op.batch_alter_table('cycle_count', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cycle_count_warehouse_id'), ['warehouse_id'], unique=False)

    op.create_table('forecast_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('engine', sa.String(length=16), nullable=False),
    sa.Column('horizon_days', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stage', sa.String(length=64), nullable=True),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=False),
    sa.Column('series_count', sa.Integer(), nullable=False),
    sa.Column('model_mix', sa.Text(), nullable=True),
    sa.Column('accuracy', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name=op.f('ck_forecast_run_status_valid')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['staff_user.id'], name=op.f('fk_forecast_run_requested_by_id_staff_user')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_forecast_run_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecast_run'))
    )
    with op.batch_alter_table('forecast_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forecast_run_status'), ['status'], unique=False)

    op.create_table('idempotency_record',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('api_client_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=False),
    sa.Column('response_body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['api_client_id'], ['api_client.id'], name=op.f('fk_idempotency_record_api_client_id_api_client')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_record')),
    sa.UniqueConstraint('api_client_id', 'key', name=op.f('uq_idempotency_record_api_client_id_key'))
    )
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_record_created_at'), ['created_at'], unique=False)

    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('style_number', sa.String(length=64), nullable=True),
    sa.Column('specification', sa.String(length=200), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('pack_size', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('unit_cost', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('pack_size >= 1', name=op.f('ck_product_pack_size_positive')),
    sa.CheckConstraint('unit_cost >= 0', name=op.f('ck_product_unit_cost_non_negative')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_product_category_id_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('sku', name=op.f('uq_product_sku'))
    )
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_category_id'), ['category_id'], unique=False)

    op.create_table('purchase_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'sent', 'confirmed', 'rejected', 'partially_received', 'received', 'closed', 'cancelled')", name=op.f('ck_purchase_order_status_valid')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_purchase_order_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_purchase_order_supplier_id_supplier')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_purchase_order_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order')),
    sa.UniqueConstraint('number', name=op.f('uq_purchase_order_number'))
    )
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.create_index('ix_purchase_order_supplier_status', ['supplier_id', 'status'], unique=False)

    op.create_table('reservation',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('order_ref', sa.String(length=128), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('api_client_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('active', 'committed', 'released', 'expired')", name=op.f('ck_reservation_status_valid')),
    sa.ForeignKeyConstraint(['api_client_id'], ['api_client.id'], name=op.f('fk_reservation_api_client_id_api_client')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservation'))
    )
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reservation_order_ref'), ['order_ref'], unique=False)
        batch_op.create_index('ix_reservation_status_expires', ['status', 'expires_at'], unique=False)

    op.create_table('supplier_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('invite_token_hash', sa.String(length=64), nullable=True),
    sa.Column('invite_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_supplier_user_supplier_id_supplier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_user')),
    sa.UniqueConstraint('email', name=op.f('uq_supplier_user_email')),
    sa.UniqueConstraint('invite_token_hash', name=op.f('uq_supplier_user_invite_token_hash'))
    )
    with op.batch_alter_table('supplier_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_user_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('source_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('dest_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'shipped', 'received', 'cancelled')", name=op.f('ck_transfer_status_valid')),
    sa.CheckConstraint('source_warehouse_id <> dest_warehouse_id', name=op.f('ck_transfer_distinct_warehouses')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_transfer_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['dest_warehouse_id'], ['warehouse.id'], name=op.f('fk_transfer_dest_warehouse_id_warehouse')),
    sa.ForeignKeyConstraint(['source_warehouse_id'], ['warehouse.id'], name=op.f('fk_transfer_source_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer')),
    sa.UniqueConstraint('number', name=op.f('uq_transfer_number'))
    )
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_dest_warehouse_id'), ['dest_warehouse_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_source_warehouse_id'), ['source_warehouse_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_status'), ['status'], unique=False)

    op.create_table('webhook_delivery',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('api_client_id', sa.Integer(), nullable=False),
    sa.Column('first_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['api_client_id'], ['api_client.id'], name=op.f('fk_webhook_delivery_api_client_id_api_client')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery'))
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_delivery_client', ['api_client_id', 'id'], unique=False)

    op.create_table('alert',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_alert_product_id_product')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_alert_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index('ix_alert_open', ['resolved_at', 'kind'], unique=False)

    op.create_table('cycle_count_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_count_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('system_quantity', sa.Integer(), nullable=False),
    sa.Column('counted_quantity', sa.Integer(), nullable=True),
    sa.CheckConstraint('counted_quantity IS NULL OR counted_quantity >= 0', name=op.f('ck_cycle_count_line_counted_non_negative')),
    sa.ForeignKeyConstraint(['cycle_count_id'], ['cycle_count.id'], name=op.f('fk_cycle_count_line_cycle_count_id_cycle_count')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_cycle_count_line_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_count_line')),
    sa.UniqueConstraint('cycle_count_id', 'product_id', name=op.f('uq_cycle_count_line_cycle_count_id_product_id'))
    )
    op.create_table('forecast_point',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('ds', sa.Date(), nullable=False),
    sa.Column('yhat', sa.Float(), nullable=False),
    sa.Column('yhat_lo_80', sa.Float(), nullable=True),
    sa.Column('yhat_hi_80', sa.Float(), nullable=True),
    sa.Column('yhat_lo_95', sa.Float(), nullable=True),
    sa.Column('yhat_hi_95', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_forecast_point_product_id_product')),
    sa.ForeignKeyConstraint(['run_id'], ['forecast_run.id'], name=op.f('fk_forecast_point_run_id_forecast_run')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_forecast_point_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecast_point'))
    )
    with op.batch_alter_table('forecast_point', schema=None) as batch_op:
        batch_op.create_index('ix_forecast_point_series', ['run_id', 'product_id', 'warehouse_id', 'ds'], unique=False)

    op.create_table('forecast_series',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('demand_class', sa.String(length=16), nullable=False),
    sa.Column('model', sa.String(length=40), nullable=False),
    sa.Column('mase', sa.Float(), nullable=True),
    sa.Column('rmsse', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_forecast_series_product_id_product')),
    sa.ForeignKeyConstraint(['run_id'], ['forecast_run.id'], name=op.f('fk_forecast_series_run_id_forecast_run')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_forecast_series_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecast_series'))
    )
    with op.batch_alter_table('forecast_series', schema=None) as batch_op:
        batch_op.create_index('ix_forecast_series_run', ['run_id', 'product_id', 'warehouse_id'], unique=True)

    op.create_table('purchase_order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purchase_order_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('promised_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('confirmed_quantity', sa.Integer(), nullable=True),
    sa.Column('confirmed_date', sa.Date(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reject_reason', sa.String(length=255), nullable=True),
    sa.Column('received_quantity', sa.Integer(), nullable=False),
    sa.Column('accepted_quantity', sa.Integer(), nullable=False),
    sa.Column('rejected_quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'confirmed', 'changed', 'rejected', 'cancelled')", name=op.f('ck_purchase_order_line_status_valid')),
    sa.CheckConstraint('accepted_quantity >= 0', name=op.f('ck_purchase_order_line_accepted_non_negative')),
    sa.CheckConstraint('confirmed_quantity IS NULL OR confirmed_quantity >= 0', name=op.f('ck_purchase_order_line_confirmed_non_negative')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_purchase_order_line_quantity_positive')),
    sa.CheckConstraint('received_quantity >= 0', name=op.f('ck_purchase_order_line_received_non_negative')),
    sa.CheckConstraint('rejected_quantity >= 0', name=op.f('ck_purchase_order_line_rejected_non_negative')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_purchase_order_line_unit_price_non_negative')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_purchase_order_line_product_id_product')),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_order.id'], name=op.f('fk_purchase_order_line_purchase_order_id_purchase_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order_line')),
    sa.UniqueConstraint('purchase_order_id', 'line_no', name=op.f('uq_purchase_order_line_purchase_order_id_line_no'))
    )
    with op.batch_alter_table('purchase_order_line', schema=None) as batch_op:
        batch_op.create_index('ix_purchase_order_line_product', ['product_id'], unique=False)

    op.create_table('replenishment_suggestion',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('source_warehouse_id', sa.Integer(), nullable=True),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('suggested_quantity', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reorder_point', sa.Float(), nullable=False),
    sa.Column('order_up_to', sa.Float(), nullable=False),
    sa.Column('safety_stock', sa.Float(), nullable=False),
    sa.Column('lead_time_demand', sa.Float(), nullable=False),
    sa.Column('lead_time_days', sa.Float(), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('in_transit', sa.Integer(), nullable=False),
    sa.Column('on_order', sa.Integer(), nullable=False),
    sa.Column('days_until_stockout', sa.Float(), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=True),
    sa.Column('reject_reason', sa.String(length=255), nullable=True),
    sa.Column('purchase_order_id', sa.Integer(), nullable=True),
    sa.Column('transfer_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('purchase', 'transfer')", name=op.f('ck_replenishment_suggestion_kind_valid')),
    sa.CheckConstraint("status IN ('open', 'approved', 'rejected', 'superseded')", name=op.f('ck_replenishment_suggestion_status_valid')),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_replenishment_suggestion_quantity_non_negative')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff_user.id'], name=op.f('fk_replenishment_suggestion_decided_by_id_staff_user')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_replenishment_suggestion_product_id_product')),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_order.id'], name=op.f('fk_replenishment_suggestion_purchase_order_id_purchase_order')),
    sa.ForeignKeyConstraint(['run_id'], ['forecast_run.id'], name=op.f('fk_replenishment_suggestion_run_id_forecast_run')),
    sa.ForeignKeyConstraint(['source_warehouse_id'], ['warehouse.id'], name=op.f('fk_replenishment_suggestion_source_warehouse_id_warehouse')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_replenishment_suggestion_supplier_id_supplier')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer.id'], name=op.f('fk_replenishment_suggestion_transfer_id_transfer')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_replenishment_suggestion_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_replenishment_suggestion'))
    )
    with op.batch_alter_table('replenishment_suggestion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_replenishment_suggestion_run_id'), ['run_id'], unique=False)
        batch_op.create_index('ix_replenishment_suggestion_status', ['status', 'warehouse_id'], unique=False)

    op.create_table('reservation_line',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reservation_id', sa.String(length=36), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_reservation_line_quantity_positive')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_reservation_line_product_id_product')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservation.id'], name=op.f('fk_reservation_line_reservation_id_reservation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservation_line'))
    )
    with op.batch_alter_table('reservation_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reservation_line_reservation_id'), ['reservation_id'], unique=False)

    op.create_table('shipment_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('purchase_order_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('ship_date', sa.Date(), nullable=False),
    sa.Column('expected_date', sa.Date(), nullable=False),
    sa.Column('carrier', sa.String(length=80), nullable=True),
    sa.Column('tracking_number', sa.String(length=80), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('sent', 'received', 'cancelled')", name=op.f('ck_shipment_notice_status_valid')),
    sa.ForeignKeyConstraint(['created_by_id'], ['supplier_user.id'], name=op.f('fk_shipment_notice_created_by_id_supplier_user')),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_order.id'], name=op.f('fk_shipment_notice_purchase_order_id_purchase_order')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_shipment_notice_supplier_id_supplier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_notice')),
    sa.UniqueConstraint('number', name=op.f('uq_shipment_notice_number'))
    )
    with op.batch_alter_table('shipment_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_notice_purchase_order_id'), ['purchase_order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_notice_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('stock_balance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('in_transit', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('in_transit >= 0', name=op.f('ck_stock_balance_in_transit_non_negative')),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_stock_balance_on_hand_non_negative')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_stock_balance_reserved_non_negative')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_stock_balance_product_id_product')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_stock_balance_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_balance')),
    sa.UniqueConstraint('product_id', 'warehouse_id', name=op.f('uq_stock_balance_product_id_warehouse_id'))
    )
    with op.batch_alter_table('stock_balance', schema=None) as batch_op:
        batch_op.create_index('ix_stock_balance_warehouse', ['warehouse_id', 'product_id'], unique=False)

    op.create_table('stock_change',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('in_transit', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_stock_change_product_id_product')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_stock_change_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_stock_change'))
    )
    with op.batch_alter_table('stock_change', schema=None) as batch_op:
        batch_op.create_index('ix_stock_change_balance', ['product_id', 'warehouse_id', 'seq'], unique=False)

    op.create_table('stock_movement',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=True),
    sa.Column('reference_type', sa.String(length=32), nullable=True),
    sa.Column('reference_id', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('receipt', 'shipment', 'transfer_out', 'transfer_in', 'adjustment', 'count_correction', 'customer_return', 'supplier_return', 'damage')", name=op.f('ck_stock_movement_kind_valid')),
    sa.CheckConstraint("quantity <> 0 OR kind = 'count_correction'", name=op.f('ck_stock_movement_quantity_non_zero')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_stock_movement_product_id_product')),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_stock_movement_user_id_staff_user')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_stock_movement_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movement')),
    sa.UniqueConstraint('source', 'event_id', name=op.f('uq_stock_movement_source_event_id'))
    )
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.create_index('ix_stock_movement_demand', ['kind', 'product_id', 'warehouse_id', 'business_date'], unique=False)
        batch_op.create_index('ix_stock_movement_product_warehouse', ['product_id', 'warehouse_id', 'id'], unique=False)

    op.create_table('supplier_price',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('moq', sa.Integer(), nullable=False),
    sa.Column('pack_size', sa.Integer(), nullable=False),
    sa.Column('lead_time_days', sa.Integer(), nullable=False),
    sa.Column('is_preferred', sa.Boolean(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.CheckConstraint('lead_time_days >= 0', name=op.f('ck_supplier_price_lead_time_non_negative')),
    sa.CheckConstraint('moq >= 1', name=op.f('ck_supplier_price_moq_positive')),
    sa.CheckConstraint('pack_size >= 1', name=op.f('ck_supplier_price_pack_size_positive')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_supplier_price_unit_price_non_negative')),
    sa.CheckConstraint('valid_to IS NULL OR valid_to >= valid_from', name=op.f('ck_supplier_price_validity_ordered')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_supplier_price_product_id_product')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_supplier_price_supplier_id_supplier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_price'))
    )
    with op.batch_alter_table('supplier_price', schema=None) as batch_op:
        batch_op.create_index('ix_supplier_price_product_supplier', ['product_id', 'supplier_id', 'valid_from'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_price_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('transfer_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('shipped_quantity', sa.Integer(), nullable=False),
    sa.Column('received_quantity', sa.Integer(), nullable=False),
    sa.Column('discrepancy_note', sa.String(length=255), nullable=True),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_transfer_line_quantity_positive')),
    sa.CheckConstraint('received_quantity >= 0', name=op.f('ck_transfer_line_received_non_negative')),
    sa.CheckConstraint('shipped_quantity >= 0', name=op.f('ck_transfer_line_shipped_non_negative')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_transfer_line_product_id_product')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer.id'], name=op.f('fk_transfer_line_transfer_id_transfer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_line'))
    )
    with op.batch_alter_table('transfer_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_line_transfer_id'), ['transfer_id'], unique=False)

    op.create_table('receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('purchase_order_id', sa.Integer(), nullable=False),
    sa.Column('shipment_notice_id', sa.Integer(), nullable=True),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_order.id'], name=op.f('fk_receipt_purchase_order_id_purchase_order')),
    sa.ForeignKeyConstraint(['received_by_id'], ['staff_user.id'], name=op.f('fk_receipt_received_by_id_staff_user')),
    sa.ForeignKeyConstraint(['shipment_notice_id'], ['shipment_notice.id'], name=op.f('fk_receipt_shipment_notice_id_shipment_notice')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_receipt_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt')),
    sa.UniqueConstraint('number', name=op.f('uq_receipt_number'))
    )
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_purchase_order_id'), ['purchase_order_id'], unique=False)

    op.create_table('reservation_allocation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_reservation_allocation_quantity_positive')),
    sa.ForeignKeyConstraint(['line_id'], ['reservation_line.id'], name=op.f('fk_reservation_allocation_line_id_reservation_line')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_reservation_allocation_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservation_allocation'))
    )
    with op.batch_alter_table('reservation_allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reservation_allocation_line_id'), ['line_id'], unique=False)

    op.create_table('shipment_notice_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_notice_id', sa.Integer(), nullable=False),
    sa.Column('purchase_order_line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_shipment_notice_line_quantity_positive')),
    sa.ForeignKeyConstraint(['purchase_order_line_id'], ['purchase_order_line.id'], name=op.f('fk_shipment_notice_line_purchase_order_line_id_purchase_order_line')),
    sa.ForeignKeyConstraint(['shipment_notice_id'], ['shipment_notice.id'], name=op.f('fk_shipment_notice_line_shipment_notice_id_shipment_notice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_notice_line'))
    )
    with op.batch_alter_table('shipment_notice_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_notice_line_purchase_order_line_id'), ['purchase_order_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_notice_line_shipment_notice_id'), ['shipment_notice_id'], unique=False)

    op.create_table('receipt_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('purchase_order_line_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('received_quantity', sa.Integer(), nullable=False),
    sa.Column('accepted_quantity', sa.Integer(), nullable=False),
    sa.Column('rejected_quantity', sa.Integer(), nullable=False),
    sa.Column('reject_reason', sa.String(length=64), nullable=True),
    sa.CheckConstraint('accepted_quantity + rejected_quantity = received_quantity', name=op.f('ck_receipt_line_inspection_adds_up')),
    sa.CheckConstraint('accepted_quantity >= 0', name=op.f('ck_receipt_line_accepted_non_negative')),
    sa.CheckConstraint('received_quantity >= 0', name=op.f('ck_receipt_line_received_non_negative')),
    sa.CheckConstraint('rejected_quantity >= 0', name=op.f('ck_receipt_line_rejected_non_negative')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_receipt_line_product_id_product')),
    sa.ForeignKeyConstraint(['purchase_order_line_id'], ['purchase_order_line.id'], name=op.f('fk_receipt_line_purchase_order_line_id_purchase_order_line')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipt.id'], name=op.f('fk_receipt_line_receipt_id_receipt')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_line'))
    )
    with op.batch_alter_table('receipt_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_line_purchase_order_line_id'), ['purchase_order_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipt_line_receipt_id'), ['receipt_id'], unique=False)

    op.create_table('supplier_return',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'shipped', 'closed')", name=op.f('ck_supplier_return_status_valid')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipt.id'], name=op.f('fk_supplier_return_receipt_id_receipt')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_supplier_return_supplier_id_supplier')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_supplier_return_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_return')),
    sa.UniqueConstraint('number', name=op.f('uq_supplier_return_number'))
    )
    with op.batch_alter_table('supplier_return', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_return_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('supplier_return_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_return_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('purchase_order_line_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('from_stock', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_supplier_return_line_quantity_positive')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_supplier_return_line_product_id_product')),
    sa.ForeignKeyConstraint(['purchase_order_line_id'], ['purchase_order_line.id'], name=op.f('fk_supplier_return_line_purchase_order_line_id_purchase_order_line')),
    sa.ForeignKeyConstraint(['supplier_return_id'], ['supplier_return.id'], name=op.f('fk_supplier_return_line_supplier_return_id_supplier_return')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_return_line'))
    )
    with op.batch_alter_table('supplier_return_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_return_line_supplier_return_id'), ['supplier_return_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('supplier_return_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_return_line_supplier_return_id'))

    op.drop_table('supplier_return_line')
    with op.batch_alter_table('supplier_return', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_return_supplier_id'))

    op.drop_table('supplier_return')
    with op.batch_alter_table('receipt_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_line_receipt_id'))
        batch_op.drop_index(batch_op.f('ix_receipt_line_purchase_order_line_id'))

    op.drop_table('receipt_line')
    with op.batch_alter_table('shipment_notice_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipment_notice_line_shipment_notice_id'))
        batch_op.drop_index(batch_op.f('ix_shipment_notice_line_purchase_order_line_id'))

    op.drop_table('shipment_notice_line')
    with op.batch_alter_table('reservation_allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reservation_allocation_line_id'))

    op.drop_table('reservation_allocation')
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_purchase_order_id'))

    op.drop_table('receipt')
    with op.batch_alter_table('transfer_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_line_transfer_id'))

    op.drop_table('transfer_line')
    with op.batch_alter_table('supplier_price', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_price_supplier_id'))
        batch_op.drop_index('ix_supplier_price_product_supplier')

    op.drop_table('supplier_price')
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_movement_product_warehouse')
        batch_op.drop_index('ix_stock_movement_demand')

    op.drop_table('stock_movement')
    with op.batch_alter_table('stock_change', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_change_balance')

    op.drop_table('stock_change')
    with op.batch_alter_table('stock_balance', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_balance_warehouse')

    op.drop_table('stock_balance')
    with op.batch_alter_table('shipment_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipment_notice_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_shipment_notice_purchase_order_id'))

    op.drop_table('shipment_notice')
    with op.batch_alter_table('reservation_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reservation_line_reservation_id'))

    op.drop_table('reservation_line')
    with op.batch_alter_table('replenishment_suggestion', schema=None) as batch_op:
        batch_op.drop_index('ix_replenishment_suggestion_status')
        batch_op.drop_index(batch_op.f('ix_replenishment_suggestion_run_id'))

    op.drop_table('replenishment_suggestion')
    with op.batch_alter_table('purchase_order_line', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_order_line_product')

    op.drop_table('purchase_order_line')
    with op.batch_alter_table('forecast_series', schema=None) as batch_op:
        batch_op.drop_index('ix_forecast_series_run')

    op.drop_table('forecast_series')
    with op.batch_alter_table('forecast_point', schema=None) as batch_op:
        batch_op.drop_index('ix_forecast_point_series')

    op.drop_table('forecast_point')
    op.drop_table('cycle_count_line')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_open')

    op.drop_table('alert')
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_client')

    op.drop_table('webhook_delivery')
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_status'))
        batch_op.drop_index(batch_op.f('ix_transfer_source_warehouse_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_dest_warehouse_id'))

    op.drop_table('transfer')
    with op.batch_alter_table('supplier_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_user_supplier_id'))

    op.drop_table('supplier_user')
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.drop_index('ix_reservation_status_expires')
        batch_op.drop_index(batch_op.f('ix_reservation_order_ref'))

    op.drop_table('reservation')
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_order_supplier_status')

    op.drop_table('purchase_order')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_category_id'))

    op.drop_table('product')
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_record_created_at'))

    op.drop_table('idempotency_record')
    with op.batch_alter_table('forecast_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forecast_run_status'))

    op.drop_table('forecast_run')
    with op.batch_alter_table('cycle_count', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cycle_count_warehouse_id'))

    op.drop_table('cycle_count')
    op.drop_table('warehouse')
    op.drop_table('supplier')
    op.drop_table('staff_user')
    op.drop_table('setting')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_ip')
        batch_op.drop_index('ix_login_attempt_email')

    op.drop_table('login_attempt')
    op.drop_table('feed_counter')
    op.drop_table('category')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_entity')
        batch_op.drop_index('ix_audit_log_at')

    op.drop_table('audit_log')
    op.drop_table('api_client')

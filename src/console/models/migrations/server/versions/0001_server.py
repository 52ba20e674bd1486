"""The central server's first schema: users, tokens, directory feed, snapshots, cases, audit.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('applied_change',
    sa.Column('change_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('user_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('change_id')
    )
    op.create_index('ix_applied_change_case_id', 'applied_change', ['case_id'], unique=False)
    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
              nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_name', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('case_access',
    sa.Column('user_name', sa.String(length=200), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('user_name', 'case_id')
    )
    op.create_table('case_conflict',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('change_id', sa.String(length=36), nullable=False),
    sa.Column('user_name', sa.String(length=200), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('base_value', sa.Text(), nullable=False),
    sa.Column('server_value', sa.Text(), nullable=False),
    sa.Column('client_value', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_case_conflict_case_id', 'case_conflict', ['case_id'], unique=False)
    op.create_table('case_record',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('doc', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('assigned_to', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=40), nullable=True),
    sa.Column('urgency', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.String(length=40), nullable=False),
    sa.Column('updated_at', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('seq')
    )
    op.create_index('ix_case_record_assigned_to', 'case_record', ['assigned_to'], unique=False)
    op.create_index('ix_case_record_status', 'case_record', ['status'], unique=False)
    op.create_table('directory_record',
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('data', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('kind', 'id'),
    sa.UniqueConstraint('seq')
    )
    op.create_table('directory_snapshot',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('cursor', sa.BigInteger(), nullable=False),
    sa.Column('schema_revision', sa.String(length=40), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    clock = op.create_table('feed_clock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    # The one row every writer locks to take its feed numbers (see console.server.models).
    op.bulk_insert(clock, [{'id': 1, 'value': 0}])
    op.create_table('server_setting',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('directory_snapshot_chunk',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['directory_snapshot.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('snapshot_id', 'number')
    )
    op.create_table('refresh_token',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('user_name', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_name'], ['app_user.name'], ),
    sa.PrimaryKeyConstraint('digest')
    )
    op.create_index('ix_refresh_token_user_name', 'refresh_token', ['user_name'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_refresh_token_user_name', table_name='refresh_token')
    op.drop_table('refresh_token')
    op.drop_table('directory_snapshot_chunk')
    op.drop_table('server_setting')
    op.drop_table('feed_clock')
    op.drop_table('directory_snapshot')
    op.drop_table('directory_record')
    op.drop_index('ix_case_record_status', table_name='case_record')
    op.drop_index('ix_case_record_assigned_to', table_name='case_record')
    op.drop_table('case_record')
    op.drop_index('ix_case_conflict_case_id', table_name='case_conflict')
    op.drop_table('case_conflict')
    op.drop_table('case_access')
    op.drop_table('audit_event')
    op.drop_index('ix_applied_change_case_id', table_name='applied_change')
    op.drop_table('applied_change')
    op.drop_table('app_user')

"""Workstations that sync: console version and last full sync, for IT's quiet-workstation list.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('workstation',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_name', sa.String(length=200), nullable=False),
    sa.Column('console_version', sa.String(length=40), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_workstation_last_sync_at', 'workstation', ['last_sync_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_workstation_last_sync_at', table_name='workstation')
    op.drop_table('workstation')

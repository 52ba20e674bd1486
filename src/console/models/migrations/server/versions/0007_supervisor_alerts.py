"""Live supervisor alerts, and the call each workstation has open (calls in progress).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('supervisor_alert',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('case_number', sa.String(length=40), nullable=True),
    sa.Column('call_type', sa.String(length=40), nullable=True),
    sa.Column('specialist', sa.String(length=200), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_by', sa.String(length=200), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('seq')
    )
    op.create_index('ix_supervisor_alert_case_id', 'supervisor_alert', ['case_id'], unique=False)
    op.create_index('ix_supervisor_alert_specialist', 'supervisor_alert', ['specialist'],
                    unique=False)
    with op.batch_alter_table('workstation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_case_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('call_number', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('call_type', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('call_urgency', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('call_started_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workstation', schema=None) as batch_op:
        for column in ('call_started_at', 'call_urgency', 'call_type', 'call_number',
                       'call_case_id'):
            batch_op.drop_column(column)
    op.drop_index('ix_supervisor_alert_specialist', table_name='supervisor_alert')
    op.drop_index('ix_supervisor_alert_case_id', table_name='supervisor_alert')
    op.drop_table('supervisor_alert')

"""Directory imports have sources: which source listed each record, so that importing one
source never touches another's records. Records already stored belong to no source.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('directory_record_source',
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'id')
    )
    op.create_index('ix_directory_record_source_source', 'directory_record_source', ['source'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_directory_record_source_source', table_name='directory_record_source')
    op.drop_table('directory_record_source')

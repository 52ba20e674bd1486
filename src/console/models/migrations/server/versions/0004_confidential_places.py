"""Confidential addresses leave the server scrubbed: send each (and its location) again, so
workstations replace the street lines and exact points they received before, and drop the
directory snapshots that still hold them (the next ``build-snapshot`` makes a scrubbed one).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from console.server.directory import resend_all_confidential

    connection = op.get_bind()
    resend_all_confidential(connection)
    connection.exec_driver_sql("DELETE FROM directory_snapshot_chunk")
    connection.exec_driver_sql("DELETE FROM directory_snapshot")


def downgrade() -> None:
    pass  # nothing to undo: the records are the same, only sent again

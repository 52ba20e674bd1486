"""Local cases, the outbox of unsent changes, field conflicts and sync state.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "local_case",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.Column("server_version", sa.Integer(), nullable=False),
        sa.Column("call_type", sa.Text(), nullable=True),
        sa.Column("urgency", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("assigned_to", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("local_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_local_case_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_local_case_assigned_to"), ["assigned_to"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_local_case_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("change_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_change_id"), ["change_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_outbox_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_conflict",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("change_id", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("base_value", sa.Text(), nullable=False),
        sa.Column("server_value", sa.Text(), nullable=False),
        sa.Column("client_value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("resolved_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_conflict", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_conflict_case_id"), ["case_id"], unique=False)

    op.create_table(
        "sync_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("sync_state")
    with op.batch_alter_table("case_conflict", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_conflict_case_id"))
    op.drop_table("case_conflict")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_case_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_change_id"))
    op.drop_table("outbox")
    with op.batch_alter_table("local_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_local_case_updated_at"))
        batch_op.drop_index(batch_op.f("ix_local_case_assigned_to"))
        batch_op.drop_index(batch_op.f("ix_local_case_status"))
    op.drop_table("local_case")

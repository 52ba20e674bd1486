"""The case list's columns and the case search index, filled in for the cases already stored.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:00:00.000000
"""

import json

import sqlalchemy as sa
from alembic import op

from console.cases.index import index_case, listing_values
from console.models.cases import SEARCH_DDL, SEARCH_TABLE

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Made nullable, filled in from each case's document, then required.
REQUIRED_COLUMNS = (("search_rowid", sa.Integer()), ("due_order", sa.String(length=40)),
                    ("title", sa.Text()), ("place", sa.Text()))
OPTIONAL_COLUMNS = (("number", sa.Text()), ("request_type", sa.Text()),
                    ("created_by", sa.Text()), ("due_at", sa.String(length=40)),
                    ("next_task_due", sa.String(length=40)), ("pending_handoff_to", sa.Text()))
FILLED = ("call_type", "urgency", "status", "assigned_to", "created_at", "updated_at",
          *(name for name, _ in OPTIONAL_COLUMNS),
          *(name for name, _ in REQUIRED_COLUMNS if name != "search_rowid"))


def upgrade() -> None:
    op.drop_index("ix_local_case_assigned_to", table_name="local_case")
    for name, kind in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
        op.add_column("local_case", sa.Column(name, kind, nullable=True))
    op.execute(SEARCH_DDL)
    _fill_from_documents(op.get_bind())
    with op.batch_alter_table("local_case", schema=None) as batch_op:
        for name, kind in REQUIRED_COLUMNS:
            batch_op.alter_column(name, existing_type=kind, nullable=False)
    op.create_index("ix_local_case_search_key", "local_case",
                    ["search_rowid", "status", "urgency", "assigned_to", "pending_handoff_to",
                     "due_order", "updated_at", "id"])
    op.create_index("ix_local_case_created_at", "local_case", ["created_at"])
    op.create_index("ix_local_case_pending_handoff_to", "local_case", ["pending_handoff_to"])
    op.create_index("ix_local_case_due_order", "local_case",
                    ["due_order", sa.text("updated_at DESC"), "id"])
    op.create_index("ix_local_case_assigned_order", "local_case",
                    ["assigned_to", "due_order", sa.text("updated_at DESC"), "id"])


def _fill_from_documents(connection: sa.Connection) -> None:
    """Derive every stored case's columns and search entry, oldest case first, exactly as the
    case store does when it writes a case (a workstation holds thousands, not millions)."""
    rows = connection.exec_driver_sql(
        "SELECT id, doc FROM local_case ORDER BY created_at, id").all()
    assignments = ", ".join(f"{name} = ?" for name in FILLED)
    for search_rowid, (case_id, doc) in enumerate(rows, start=1):
        case = json.loads(doc)
        values = listing_values(case)
        connection.exec_driver_sql(
            f"UPDATE local_case SET search_rowid = ?, {assignments} WHERE id = ?",
            (search_rowid, *(values[name] for name in FILLED), case_id))
        index_case(connection, search_rowid, case)


def downgrade() -> None:
    for name in ("ix_local_case_assigned_order", "ix_local_case_due_order",
                 "ix_local_case_pending_handoff_to", "ix_local_case_created_at",
                 "ix_local_case_search_key"):
        op.drop_index(name, table_name="local_case")
    op.execute(f"DROP TABLE {SEARCH_TABLE}")
    with op.batch_alter_table("local_case", schema=None) as batch_op:
        for name, _ in (*OPTIONAL_COLUMNS, *REQUIRED_COLUMNS):
            batch_op.drop_column(name)
    op.create_index("ix_local_case_assigned_to", "local_case", ["assigned_to"])

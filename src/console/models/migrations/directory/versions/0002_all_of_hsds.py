"""Every HSDS 3.0 table a record can carry, and which import source each record came from.

Adds program, organization_identifier, funding, cost_option, required_document, accessibility
and metadata, so an import keeps them and an export gives them back; and
``directory_record_source``, so that importing one source never touches another's records.
Records already stored are listed under the source the directory was last imported from.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 11:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.String(length=64)
# The tables of revision 0001 that list a source's records (the others hang off them); named
# here, not imported from the live code, so this revision always does the same thing.
EARLIER_TABLES = ("taxonomy", "taxonomy_term", "organization", "service", "location")


def _table(name: str, *columns: sa.Column, indexed: tuple[str, ...] = ()) -> None:
    op.create_table(name, sa.Column("id", Id, nullable=False), *columns,
                    sa.PrimaryKeyConstraint("id"))
    for column in indexed:
        op.create_index(f"ix_{name}_{column}", name, [column])


def _text(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=nullable)


def upgrade() -> None:
    _table("program", sa.Column("organization_id", Id), _text("name", False),
           _text("alternate_name"), _text("description"), indexed=("organization_id",))
    _table("organization_identifier", sa.Column("organization_id", Id),
           _text("identifier_scheme"), _text("identifier_type", False), _text("identifier", False),
           indexed=("organization_id",))
    _table("funding", sa.Column("organization_id", Id), sa.Column("service_id", Id),
           _text("source"), indexed=("organization_id", "service_id"))
    _table("cost_option", sa.Column("service_id", Id), _text("valid_from"), _text("valid_to"),
           _text("option"), _text("currency"), sa.Column("amount", sa.Float()),
           _text("amount_description"), indexed=("service_id",))
    _table("required_document", sa.Column("service_id", Id), _text("document"), _text("uri"),
           indexed=("service_id",))
    _table("accessibility", sa.Column("location_id", Id), _text("description"),
           _text("details"), _text("url"), indexed=("location_id",))
    _table("metadata", sa.Column("resource_id", Id), _text("resource_type"),
           *(_text(name, False) for name in ("last_action_date", "last_action_type",
                                             "field_name", "previous_value",
                                             "replacement_value", "updated_by")),
           indexed=("resource_id",))
    op.create_table(
        "directory_record_source",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("id", Id, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "id"),
    )
    op.create_index("ix_directory_record_source_source", "directory_record_source", ["source"])
    for table in EARLIER_TABLES:
        op.execute(
            "INSERT INTO directory_record_source (kind, id, source) "
            f"SELECT '{table}', id, COALESCE((SELECT value FROM directory_meta "
            f"WHERE key = 'source'), 'import') FROM {table}")


def downgrade() -> None:
    op.drop_table("directory_record_source")
    for table in ("metadata", "accessibility", "required_document", "cost_option", "funding",
                  "organization_identifier", "program"):
        op.drop_table(table)

"""Alembic environment for the local case store; run through ``console.models.database``."""

from alembic import context

from console.models.cases import CaseBase, include_name

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=CaseBase.metadata, render_as_batch=True,
                  include_name=include_name)
with context.begin_transaction():
    context.run_migrations()

"""Alembic environment for the local case store; run through ``console.models.database``."""

from alembic import context

from console.models.cases import CaseBase

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=CaseBase.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

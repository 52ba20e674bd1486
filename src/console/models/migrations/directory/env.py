"""Alembic environment for the local directory store; run through ``console.models.database``."""

from alembic import context

from console.models.directory import DirectoryBase

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=DirectoryBase.metadata, render_as_batch=True
)
with context.begin_transaction():
    context.run_migrations()

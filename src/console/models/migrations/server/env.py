"""Alembic environment for the central server database; run via ``console.models.database``."""

from alembic import context

from console.server.models import ServerBase

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=ServerBase.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

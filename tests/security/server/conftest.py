"""The server's test fixtures (a database on SQLite and PostgreSQL, a client, signed-in roles)
for the server's security tests here, without copying them."""

from tests.server.conftest import (  # noqa: F401 (fixtures are found by name)
    cheap_password_hashing,
    client,
    database_url,
    engine,
    headers,
)

"""SQLAlchemy models and database sessions. No Qt here."""

"""Relational state: typed SQLAlchemy 2 base, async sessions, Alembic migrations per service."""

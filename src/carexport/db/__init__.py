"""Storage: engine and sessions, the declarative base, and Alembic migrations."""

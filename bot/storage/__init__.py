"""Storage: SQLAlchemy 2.0 typed models, async engine and sessions, Alembic migrations."""

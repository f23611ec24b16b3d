"""Persistence: SQLAlchemy 2.0 async models, query functions and Alembic migrations."""

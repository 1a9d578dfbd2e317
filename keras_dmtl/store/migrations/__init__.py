"""The Alembic environment of the store's schema (`store.migrate` runs it).

A package only so that it ships in the wheel; Alembic reads `env.py` and
`versions/` by path.
"""

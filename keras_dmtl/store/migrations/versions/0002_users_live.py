"""Users of the operator page (`keras-dmtl serve`) and the tracks in view.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Creates the `users` and `live_tracks` tables."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "live_tracks",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("box", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("age", sa.Float(), nullable=True),
        sa.Column("gender", sa.String(length=64), nullable=True),
        sa.Column("race", sa.String(length=64), nullable=True),
        sa.Column("expression", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_live_tracks")),
    )
    op.create_index("ix_live_tracks_source", "live_tracks", ["source"])


def downgrade() -> None:
    """Drops the `users` and `live_tracks` tables."""
    op.drop_index("ix_live_tracks_source", table_name="live_tracks")
    op.drop_table("live_tracks")
    op.drop_table("users")

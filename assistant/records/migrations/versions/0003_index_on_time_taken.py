"""An index on the time an answer took, for the slowest answers

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_exchanges_ms", "exchanges", ["ms"])


def downgrade() -> None:
    op.drop_index("ix_exchanges_ms", "exchanges")

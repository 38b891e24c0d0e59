import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shopdesk.db import StoreScoped, Timestamps, db


class Note(StoreScoped, Timestamps, db.Model):
    """A note the staff of one store keep; pinned notes show on the store's dashboard."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    pinned: Mapped[bool] = mapped_column(default=False)
    author_email: Mapped[str] = mapped_column(sa.String(255), default="")

    def __repr__(self):
        return f"<Note {self.id} {self.title!r}>"

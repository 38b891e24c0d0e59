"""get_or_404: one row of the current store by id, or a 404 that names what was not found."""

import re

from werkzeug.exceptions import NotFound


def _what(model) -> str:
    """``StockLevel`` → "stock level": the default name of a model in a 404's message."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()


def not_found(what: str, key) -> NotFound:
    """A 404 naming the object (``No order 12 in this store.``), for the API and pages alike."""
    message = f"No {what} {key} in this store."
    exc = NotFound(description=message)
    exc.data = {"message": message}
    return exc


def get_or_404(model, key, *, what: str | None = None, options=()):
    """The row of ``model`` with primary key ``key`` in the current store, or a 404.

    Store-scoped models are filtered to the current store by the host, so another store's
    id is a 404 like a missing one. ``options`` are loader options (``selectinload(...)``).

    Example::

        note = get_or_404(Note, note_id)            # 404 "No note 7 in this store."
    """
    from ..db import db

    row = db.session.get(model, key, options=list(options)) if key is not None else None
    if row is None:
        raise not_found(what or _what(model), key)
    return row

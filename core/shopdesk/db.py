"""Storage: the SQLAlchemy instance, the declarative base, mixins and the tenant filter.

Every store-owned table uses :class:`StoreScoped`. While a store is current (see
:func:`shopdesk.stores.use_store`), every ORM query, relationship load and join sees only
that store's rows, and every new row is written into it. With no current store, touching a
store-scoped model is an error unless the query opts out with
``execution_options(all_stores=True)``: code that means to cross stores has to say so.
"""

from contextvars import ContextVar
from datetime import datetime, timezone
from functools import lru_cache

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, with_loader_criteria

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, timezone-aware in UTC: what every timestamp column stores."""
    return datetime.now(timezone.utc)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp that is always timezone-aware UTC, on SQLite (which drops tzinfo) too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self):
        return datetime  # a keyset cursor reads its timestamps back by this

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime: Shopdesk stores UTC-aware timestamps only")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Timestamps:
    """Mixin: ``created_at`` and ``updated_at`` (UTC), set by the database session on insert and update."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class StoreScoped:
    """Mixin for every store-owned table: ``store_id`` is required, indexed and filtered."""

    @declared_attr
    def store_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"), index=True)


class NoStoreContext(RuntimeError):
    """A store-scoped model was used with no current store and no ``all_stores`` opt-out."""


class WrongStore(RuntimeError):
    """A row of one store was about to be written while another store is current."""


current_store_id: ContextVar[int | None] = ContextVar("shopdesk_current_store_id", default=None)


class ScopedSession(FlaskSession):
    """``get`` answers from the identity map without running a query, so it checks the store
    itself: a row of another store already loaded in this session is not handed out."""

    def get(self, entity, ident, **kwargs):
        obj = super().get(entity, ident, **kwargs)
        if obj is None or not isinstance(obj, StoreScoped):
            return obj
        if (kwargs.get("execution_options") or {}).get("all_stores"):
            return obj
        store_id = current_store_id.get()
        if store_id is None:
            raise NoStoreContext(f"no current store for {type(obj).__name__}: wrap the code in use_store(...)")
        return obj if obj.store_id == store_id else None


db = SQLAlchemy(model_class=Base, session_options={"class_": ScopedSession})


def _touches_store_scoped(state) -> bool:
    return any(issubclass(m.class_, StoreScoped) for m in state.all_mappers)


@event.listens_for(Session, "do_orm_execute")
def _filter_by_current_store(state):
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("all_stores"):
        return
    store_id = current_store_id.get()
    if store_id is None:
        if _touches_store_scoped(state):
            raise NoStoreContext(
                "no current store: wrap the code in use_store(...) or pass "
                "execution_options(all_stores=True)"
            )
        return
    state.statement = state.statement.options(_store_criteria(store_id))


@lru_cache(maxsize=4096)
def _store_criteria(store_id: int):
    """The tenant filter of one store, built once: building it analyses the lambda again.

    Not propagated to loaded objects: the listener above sees their lazy loads and refreshes
    too, and propagated options would pile up on long-lived objects with every refresh.
    """
    return with_loader_criteria(StoreScoped, lambda cls: cls.store_id == store_id, include_aliases=True,
                                propagate_to_loaders=False)


@event.listens_for(Session, "before_flush")
def _stamp_current_store(session, flush_context, instances):
    store_id = current_store_id.get()
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, StoreScoped):
            continue
        if obj.store_id is None:
            if store_id is None:
                raise NoStoreContext(f"{type(obj).__name__} written without a store")
            obj.store_id = store_id
        elif store_id is not None and obj.store_id != store_id:
            raise WrongStore(
                f"{type(obj).__name__} belongs to store {obj.store_id}, current store is {store_id}"
            )


# --- updated_at: moved by every change, the row's own and its parts' ------------------------

_PARENTS: dict[type, list[tuple[type, str]]] = {}


def touches(child, parent, key: str):
    """Declare that adding, changing or removing a ``child`` row changes its ``parent`` (through
    the column ``key``): the parent's ``updated_at`` moves too, so a client syncing parents by
    ``updated_since`` sees an order whose payment was recorded, a product whose variant changed."""
    _PARENTS.setdefault(child, []).append((parent, key))


def _parent_object(obj, parent, key):
    """The parent of a new row known only through its relationship (its key is set at flush)."""
    for rel in sa.inspect(type(obj)).relationships:
        if rel.mapper.class_ is parent and any(column.key == key for column in rel.local_columns):
            return getattr(obj, rel.key)
    return None


@event.listens_for(Session, "before_flush")
def _move_updated_at(session, flush_context, instances):
    """A Timestamps row changed only in its collections (tags added) gets a new updated_at
    too (no column changed, so ``onupdate`` would not fire), and so do the parents of
    changed rows declared with :func:`touches`; parents not loaded are updated after the flush."""
    now = utcnow()
    with session.no_autoflush:
        for obj in session.dirty:
            if isinstance(obj, Timestamps) and session.is_modified(obj):
                obj.updated_at = now
        pending = session.info.setdefault("_touch_pending", {})
        changed = list(session.new) + list(session.deleted) + [o for o in session.dirty if session.is_modified(o)]
        for obj in changed:
            for parent, key in _PARENTS.get(type(obj), ()):
                parent_id = getattr(obj, key)
                if parent_id is None:
                    target = _parent_object(obj, parent, key)
                else:
                    identity = sa.inspect(parent).identity_key_from_primary_key((parent_id,))
                    target = session.identity_map.get(identity)
                if target is not None:
                    if target not in session.deleted:
                        target.updated_at = now
                elif parent_id is not None:
                    pending.setdefault(parent, set()).add(parent_id)


@event.listens_for(Session, "after_flush")
def _move_unloaded_parents(session, flush_context):
    pending = session.info.pop("_touch_pending", None) or {}
    for parent, ids in pending.items():
        table = parent.__table__
        session.connection().execute(sa.update(table).where(table.c.id.in_(sorted(ids))).values(updated_at=utcnow()))


def lock_row(model, row_id):
    """Hold a write lock on one row until the transaction ends, on both databases.

    PostgreSQL: SELECT ... FOR UPDATE. SQLite ignores FOR UPDATE, so a no-op UPDATE takes
    the database write lock instead; reads after it in the transaction are then current.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        column = model.__table__.primary_key.columns.values()[0]
        db.session.execute(sa.update(model.__table__).where(column == row_id).values({column.name: column}))
    else:
        db.session.execute(sa.select(model).where(model.__table__.primary_key.columns.values()[0] == row_id)
                           .with_for_update().execution_options(all_stores=True))


def commit_keeping_objects():
    """Commit without expiring the session's objects, so the answer to a write is built from
    what was just written instead of reloading every object and relationship after the
    commit. Only for objects the transaction wrote or loaded itself."""
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


@event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys (ON DELETE CASCADE), let writers wait for the lock, and
    use the write-ahead log so readers never block a writer on another connection."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

"""Builders the catalog tests share, handed to tests as the ``h`` fixture."""

import io
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from PIL import Image

from shopdesk.audit import AuditEntry
from shopdesk.events import OutboxEvent
from shopdesk.stores import create_store, enable_plugin, use_store


def tee(**changes):
    """A product body for the API: a tee in two sizes."""
    body = {"name": "Organic Tee", "option_axes": ["size"], "status": "active",
            "variants": [{"sku": "TEE-S", "options": {"size": "S"}, "price": 2400, "unit_cost": 850},
                         {"sku": "TEE-M", "options": {"size": "M"}, "price": 2400, "unit_cost": 850}]}
    return body | changes


def other_store(app, db, user, slug="other"):
    """A second store the same user owns, with the catalog enabled."""
    store = create_store(slug, "Other Store", owner=user)
    enable_plugin(app.extensions["shopdesk"], store, "catalog")
    db.session.commit()
    return store


def audit_entries(db, store, prefix="catalog."):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.store_id == store.id,
                                                          AuditEntry.action.like(prefix + "%"))
                              .order_by(AuditEntry.id)).all()


def emitted(db, store):
    with use_store(store):
        rows = db.session.scalars(sa.select(OutboxEvent).order_by(OutboxEvent.id)).all()
        return [(row.name, row.payload) for row in rows]


def count(db, store, model):
    with use_store(store):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def picture(fmt="PNG", size=(64, 48), colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def h():
    return SimpleNamespace(tee=tee, other_store=other_store, audit_entries=audit_entries, emitted=emitted,
                           count=count, picture=picture)

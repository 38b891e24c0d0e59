"""The demo store and the first admin: what `make run` loads once, and never twice."""

import secrets
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app

from .auth.models import User, create_user
from .db import db
from .stores import Store, create_store, enable_plugin, use_store

DEMO_SLUG = "demo"
ADMIN_EMAIL = "admin@example.com"
LOGIN_FILE = "demo_login"


def dependency_order(registry) -> list[str]:
    """Working plugins, each after the plugins it requires."""
    done: list[str] = []

    def visit(name):
        if name not in done:
            for dep in registry.plugins[name].requires:
                visit(dep)
            done.append(name)

    for name in sorted(registry.working):
        visit(name)
    return done


def ensure_admin() -> str:
    """Create the admin once; its generated password lives in instance/demo_login (0600)."""
    path = Path(current_app.instance_path) / LOGIN_FILE
    if db.session.scalar(sa.select(User.id).filter_by(email=ADMIN_EMAIL)) is None:
        password = secrets.token_urlsafe(12)
        create_user(ADMIN_EMAIL, password, name="Demo admin")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(password)
        path.chmod(0o600)
        db.session.commit()
    if path.exists():
        return f"{ADMIN_EMAIL} / {path.read_text().strip()}"
    return f"{ADMIN_EMAIL} (password set earlier: `shopdesk users set-password {ADMIN_EMAIL}`)"


def fill_with_demo_data(registry, store, plugins=None):
    """Enable ``plugins`` (every working one, in dependency order) in ``store`` and call each
    one's ``demo_data`` with the store current; then the host's own: an example webhook
    subscription (inactive). Used by `shopdesk demo` and by tests."""
    from .webhooks import demo_subscription

    for name in plugins if plugins is not None else dependency_order(registry):
        enable_plugin(registry, store, name)
        with use_store(store):
            registry.call_plugin(name, "demo_data", store=store)
            db.session.flush()
    demo_subscription(store)


def load_demo(echo=click.echo) -> bool:
    """Create the demo store with every working plugin enabled and its demo data.

    Returns False, changing nothing, when the demo store already exists.
    """
    registry = current_app.extensions["shopdesk"]
    if db.session.scalar(sa.select(Store.id).filter_by(slug=DEMO_SLUG)) is not None:
        return False
    admin = db.session.scalar(sa.select(User).filter_by(email=ADMIN_EMAIL))
    store = create_store(DEMO_SLUG, "Demo Store", currency="USD", owner=admin)
    order = dependency_order(registry)
    with click.progressbar(order, label="Loading demo store", item_show_func=lambda n: n or "") as plugins:
        fill_with_demo_data(registry, store, plugins)
    db.session.commit()
    echo(f"Demo store '{DEMO_SLUG}' created with {len(order)} plugin(s) enabled.")
    return True

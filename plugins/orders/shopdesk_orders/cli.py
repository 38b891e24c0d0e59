"""`shopdesk orders ...`: import order files and look at orders from the command line."""

from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app

from shopdesk import hookimpl
from shopdesk.db import db
from shopdesk.stores import enabled_plugins, get_store, use_store

from .importer import BadFile, read_rows, run_import
from .models import Order


def _store_with_orders(slug):
    store = get_store(slug)
    if "orders" not in enabled_plugins(store):
        raise click.UsageError(f"the orders plugin is not enabled in store '{slug}'")
    return store


@hookimpl
def register_commands(cli):
    @cli.group("orders")
    def orders_group():
        """Orders: import files, list orders."""

    @orders_group.command("import")
    @click.argument("store")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Only check the file and list bad rows.")
    def import_command(store, path, dry_run):
        """Import orders of STORE from a CSV or XLSX file at PATH (one row per order line)."""
        the_store = _store_with_orders(store)
        with use_store(the_store):
            hooks = current_app.extensions["shopdesk"].for_store(the_store)
            try:
                rows = read_rows(path.name, path.read_bytes())
            except BadFile as exc:
                raise click.UsageError(str(exc)) from None

            def progress(orders):
                with click.progressbar(orders, label="Importing orders") as bar:
                    yield from bar

            report = run_import(hooks, rows, dry_run=dry_run, progress=progress)
        for error in report["errors"]:
            click.echo(f"line {error['line']}: {error['field']}: {error['message']}")
        if dry_run:
            verdict = "the file is good" if not report["errors"] else f"{len(report['errors'])} problem(s)"
            click.echo(f"Dry run: {report['rows']} row(s), {report['orders']} order(s); {verdict}.")
        else:
            click.echo(f"Imported {len(report['created'])} order(s); {len(report['existing'])} already known; "
                       f"{len(report['errors'])} problem(s).")
        if report["errors"]:
            raise SystemExit(1)

    @orders_group.command("list")
    @click.argument("store")
    @click.option("--status", help="Only orders in this status.")
    @click.option("--limit", default=20, show_default=True)
    def list_command(store, status, limit):
        """The newest orders of STORE."""
        with use_store(_store_with_orders(store)):
            query = sa.select(Order).order_by(Order.id.desc()).limit(limit)
            if status:
                query = query.filter_by(status=status)
            for order in db.session.scalars(query):
                click.echo(f"{order.number:12} {order.status:20} {order.channel:12} "
                           f"{order.total:>10} {order.currency} {order.customer_email}")

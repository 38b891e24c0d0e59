"""`shopdesk catalog import` and `shopdesk catalog export`: the same import and export as the
pages and the API, for files on this machine, with a progress bar."""

from pathlib import Path

import click

from shopdesk.plugin import db, get_store, use_store

from .. import imports
from .exports import export
from .files import UnreadableFile, format_of

SHOWN_PROBLEMS = 100  # the rest are in the run's report (page or API)


@click.group("catalog")
def catalog_group():
    """Catalog: import and export products."""


@catalog_group.command("import")
@click.argument("store")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only check the file and report; write nothing.")
@click.option("--mode", type=click.Choice(imports.MODES), default="all_or_nothing", show_default=True,
              help="all_or_nothing: one bad row and nothing is written; valid_rows: write the good rows.")
@click.option("--no-create-categories", is_flag=True, help="Refuse rows whose category path does not exist.")
def import_command(store, file, dry_run, mode, no_create_categories):
    """Import FILE (.csv or .xlsx, one row per variant) into STORE.

    Exits with status 1 when rows were refused (listed with line, column and problem).
    """
    try:
        file_format = format_of(file.name)
    except UnreadableFile as exc:
        raise click.UsageError(str(exc)) from exc
    the_store = get_store(store)
    with use_store(the_store):
        run = imports.new_run(filename=file.name, path=file.resolve(), file_format=file_format, mode=mode,
                              dry_run=dry_run, create_categories=not no_create_categories, status="running")
        db.session.commit()
        bars = {}

        def progress(phase, done, total):
            bar = bars.get(phase)
            if bar is None:
                label = "Checking rows" if phase == "checking" else "Writing variants"
                bar = bars[phase] = click.progressbar(length=max(total, 1), label=label)
                bar.__enter__()
            bar.update(done - bar.pos)
            if done >= total:
                bar.__exit__(None, None, None)

        try:
            run = imports.execute(run, the_store, progress=progress)
        finally:
            for bar in bars.values():
                if not bar.finished:
                    bar.__exit__(None, None, None)
        _print_report(run)
        failed = run.status == "failed" or bool(run.errors)
    if failed:
        raise SystemExit(1)


def _print_report(run):
    s = run.summary or {}
    click.echo(run.message)
    verb = "would" if run.dry_run else "did"
    click.echo(f"import {run.id}: {s.get('rows', 0)} rows, {s.get('rows_refused', 0)} refused; "
               f"{verb} create {s.get('products_created', 0)} products and {s.get('variants_created', 0)} variants, "
               f"update {s.get('products_updated', 0)} products and {s.get('variants_updated', 0)} variants")
    for problem in (run.errors or [])[:SHOWN_PROBLEMS]:
        click.echo(f"line {problem['line']}: {problem['field']}: {problem['message']}")
    hidden = len(run.errors or []) - SHOWN_PROBLEMS
    if hidden > 0:
        click.echo(f"... and {hidden} more problems: see the import's page or GET /api/v1/catalog/imports/{run.id}/errors")


@catalog_group.command("export")
@click.argument("store")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--status", type=click.Choice(["draft", "active", "archived"]), help="Only products with this status.")
def export_command(store, file, status):
    """Export STORE's products and variants to FILE (.csv or .xlsx, by its name)."""
    try:
        file_format = format_of(file.name)
    except UnreadableFile as exc:
        raise click.UsageError(str(exc)) from exc
    the_store = get_store(store)
    with use_store(the_store), file.open("wb") as out:
        rows = export(out, file_format, the_store.currency, status)
        db.session.commit()
    click.echo(f"{rows} variants written to {file}")

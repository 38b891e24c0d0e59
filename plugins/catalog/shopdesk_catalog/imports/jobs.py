"""The background job that imports large files uploaded on the Import page or the API."""

from .. import imports


def process_queued_imports(ctx):
    """Import the store's queued files, oldest first, with progress the run's page shows."""
    imports.run_due(ctx.store)

"""Alembic environment: runs inside the Flask app, on the app's engine and metadata.

Version directories are the host's plus every plugin's (``migration_dirs`` hook), each with
its own branch label, so a plugin's tables are installed and removed independently.
"""

from alembic import context

from shopdesk.migrate import configure_context

configure_context(context)

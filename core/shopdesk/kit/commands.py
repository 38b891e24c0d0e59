"""store_command: a plugin's CLI command that works on one store.

``shopdesk inventory verify STORE`` must refuse an unknown store and a store where the plugin
is off, in one line, before it touches anything; every plugin used to write that by hand.

Example::

    @hookimpl
    def register_commands(cli):
        @cli.group("notes")
        def notes_group():
            "Store notes."

        @store_command(notes_group, "count")
        def count(store):
            "How many notes the store has."
            click.echo(db.session.scalar(sa.select(sa.func.count()).select_from(Note)))

The function receives the store (current while it runs, so queries see only its rows) and
its own options; a :class:`Refusal` it raises prints ``Error: …`` and exits 2.
"""

import functools

import click


def store_command(group, name: str | None = None, *, plugin: str | None = None, **command_options):
    """Register ``func(store, **options)`` as ``group name STORE``; ``plugin`` (default: the
    group's name) must be enabled in that store."""
    def decorator(func):
        @group.command(name, **command_options)
        @click.argument("store")
        @functools.wraps(func)
        def command(store, **options):
            from ..stores import use_store

            the_store = enabled_store(store, plugin or group.name)
            with use_store(the_store):
                return func(the_store, **options)

        return command

    return decorator


def enabled_store(slug: str, plugin: str):
    """The store named ``slug``, refused (exit 2) when unknown or when ``plugin`` is off there."""
    from ..stores import PluginStateError, enabled_plugins, get_store
    from .refusals import Refusal

    try:
        store = get_store(slug)
    except PluginStateError as exc:
        raise Refusal(404, "not_found", str(exc)) from None
    if plugin not in enabled_plugins(store):
        raise Refusal(409, "plugin_disabled",
                      f"plugin '{plugin}' is not enabled in store '{slug}': "
                      f"run `shopdesk plugins enable {slug} {plugin}` first")
    return store

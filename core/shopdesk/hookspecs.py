"""Every hook a plugin can implement: the public contract between the host and plugins.

Hooks come in three families, and the family decides how the host calls them:

* **Start-up hooks** run once per application for every installed, working plugin
  (enabled in a store or not): they contribute code such as blueprints and commands.
* **Store hooks** run for one store, and only for the plugins enabled in that store.
  They receive a ``ctx`` (:class:`shopdesk.registry.PluginContext`) holding the store and
  that plugin's own resolved settings; never read settings any other way.
* **Event-style hooks** (``nav_items``, ``dashboard_widgets``, later ``handle_event``) are
  store hooks the host calls one implementation at a time, each in its own ``try/except``,
  so one failing plugin never stops the others; the failure is logged with its name.

Start-up and store hooks are called in plugin-name order, and nothing may depend on that
order: where plugins adjust one value they return explicit adjustments for the host to sort.

Each docstring ends with an example; ``docs/hooks.md`` documents the same hooks and a test
keeps the two in step.
"""

import pluggy

hookspec = pluggy.HookspecMarker("shopdesk")


# --- start-up -------------------------------------------------------------------------


@hookspec
def register_blueprints():
    """Return Flask blueprints for the plugin's UI pages.

    The host mounts each under ``/s/<store>/`` so every page belongs to one store, and
    answers 404 for them in stores where the plugin is not enabled. ``url_for`` fills in the
    current store by itself.

    Example::

        bp = Blueprint("notes", __name__, url_prefix="/notes", template_folder="templates")

        @hookimpl
        def register_blueprints():
            return [bp]
    """


@hookspec
def register_api():
    """Return flask-smorest blueprints for the plugin's REST API.

    They are mounted under ``/api/v1`` and documented in the OpenAPI spec. A request names
    its store with the ``Shopdesk-Store`` header (a store slug); the store is then current, so
    queries see only its rows. In stores where the plugin is disabled its API answers 404.

    Example::

        api = flask_smorest.Blueprint("notes-api", __name__, url_prefix="/notes")

        @hookimpl
        def register_api():
            return [api]
    """


@hookspec
def register_commands(cli):
    """Add click commands to the ``shopdesk`` command line.

    ``cli`` is the ``shopdesk`` click group; add one group named after the plugin.

    Example::

        @hookimpl
        def register_commands(cli):
            @cli.group("notes")
            def notes_group():
                "Store notes."

            @notes_group.command("count")
            @click.argument("store")
            def count(store):
                with use_store(get_store(store)):
                    click.echo(db.session.scalar(sa.select(sa.func.count()).select_from(Note)))
    """


@hookspec
def register_permissions():
    """Return the permissions the plugin's routes and actions need.

    Each is a :class:`shopdesk.auth.permissions.Permission` with a name (``<plugin>.<verb>``),
    an English label, a Traditional Chinese label, and the built-in roles that hold it by
    default (owners hold every permission). Custom roles pick from all declared permissions.

    Example::

        @hookimpl
        def register_permissions():
            return [
                Permission("notes.read", "Read notes", "閱讀筆記"),
                Permission("notes.write", "Write notes", "撰寫筆記", roles=("manager", "operator")),
            ]
    """


@hookspec
def register_event_types():
    """Return the events this plugin emits, so ``emit`` can validate their payloads.

    Each is a :class:`shopdesk.events.EventType`: a past-tense name (``note.created``), an
    integer version (raise it when the payload changes incompatibly), a marshmallow schema
    for the payload, and a description; ``docs/events.md`` is generated from them.

    Example::

        class NotePayload(Schema):
            id = fields.Integer(required=True)
            title = fields.String(required=True)

        @hookimpl
        def register_event_types():
            return [EventType("note.created", 1, NotePayload, "A staff note was written.")]
    """


@hookspec
def settings_schema():
    """Return the marshmallow schema class that validates this plugin's settings.

    Defaults come from ``load_default``; fields with ``metadata={"secret": True}`` are
    encrypted at rest and masked when shown. Values resolve store, then global, then default.

    Example::

        class NotesSettings(Schema):
            pinned_limit = fields.Integer(load_default=5, validate=Range(min=1, max=50))
            webhook_token = fields.String(load_default="", metadata={"secret": True})

        @hookimpl
        def settings_schema():
            return NotesSettings
    """


@hookspec
def register_jobs():
    """Return the scheduled jobs of this plugin: :class:`shopdesk.scheduler.Job` definitions.

    Each has a stable id (``<plugin>.<name>``), a function by import path, a trigger
    (``interval``, ``cron`` or ``date`` with APScheduler's arguments) and says whether it runs
    once per store or once for the whole instance. A per-store job exists only in stores that
    enable the plugin and is called as ``func(ctx)`` with that store current; a global job is
    called as ``func()``. Runs are recorded; a failing run is logged and retried next time.

    Example::

        def send_digest(ctx):
            notes = db.session.scalars(sa.select(Note).filter_by(pinned=True)).all()
            mail(ctx.settings["digest_to"], render_digest(notes))

        @hookimpl
        def register_jobs():
            return [Job("notes.digest", "shopdesk_notes.jobs:send_digest", "cron", {"hour": 8},
                        per_store=True, description="Mail the pinned notes every morning.")]
    """


@hookspec
def migration_dirs():
    """Return the directories holding this plugin's Alembic versions.

    The first revision carries ``branch_labels = ("<plugin name>",)`` and
    ``depends_on = "host_0001"``; ``shopdesk db upgrade`` applies every branch's head and
    ``shopdesk db downgrade <plugin>`` takes the branch back to its base.

    Example::

        @hookimpl
        def migration_dirs():
            return [Path(__file__).parent / "migrations"]
    """


@hookspec(historic=True)
def app_ready(app):
    """Called once the application is fully built, with every plugin registered.

    Historic: a plugin registered later (in a test) is called too. Use it for wiring that
    needs the finished app, such as Jinja filters.

    Example::

        @hookimpl
        def app_ready(app):
            app.jinja_env.filters["shout"] = str.upper
    """


# --- store lifecycle ------------------------------------------------------------------


@hookspec
def store_enabled(ctx):
    """The plugin was just enabled in ``ctx.store``: seed what the store needs.

    Runs in the same transaction as the enabling, with the store current (new rows land in
    it); raising refuses the enabling.

    Example::

        @hookimpl
        def store_enabled(ctx):
            if db.session.scalar(sa.select(Note.id).limit(1)) is None:
                db.session.add(Note(title="Welcome", body="Notes are private to staff."))
    """


@hookspec
def store_disabled(ctx):
    """The plugin was just disabled in ``ctx.store``. Data is kept; stop outside effects.

    Runs in a savepoint: if it raises, its writes are rolled back, the failure is logged, and
    the plugin is disabled all the same.

    Example::

        @hookimpl
        def store_disabled(ctx):
            log.info("notes disabled in %s", ctx.store.slug)
    """


@hookspec
def demo_data(ctx):
    """Fill ``ctx.store`` with realistic demo records (``shopdesk demo`` calls it once).

    The store is current, so new rows land in it.

    Example::

        @hookimpl
        def demo_data(ctx):
            db.session.add(Note(title="Supplier call", body="Ask for the Q3 price list."))
    """


@hookspec
def has_permission(ctx, user, permission):
    """Veto a permission the user's role grants: return False to deny, None to abstain.

    Called (per store, enabled plugins only) after the role check passed; any False denies,
    and so does a failing implementation. It can only take permissions away, never grant.

    Example::

        @hookimpl
        def has_permission(ctx, user, permission):
            if permission == "orders.refund" and ctx.settings["refunds_frozen"]:
                return False
    """


@hookspec
def handle_event(event, ctx):
    """React to an event of ``ctx.store`` (event-style: one plugin's failure is its own).

    Called after the emitting transaction committed, once per event for each plugin enabled
    in the store when it was emitted. The handler runs in the transaction that records its
    delivery: its database writes and "delivered" commit together, so they happen exactly
    once. A handler that raises is retried later with backoff; ``event.id`` is stable across
    retries. Events with the same ``event.key`` arrive in the order they were emitted.

    Example::

        @hookimpl
        def handle_event(event, ctx):
            if event.name == "order.placed":
                db.session.add(Note(title=f"Order {event.payload['number']} placed"))
    """


# --- UI ---------------------------------------------------------------------------------


@hookspec
def nav_items(ctx, user):
    """Return the side-navigation entries for this store and user (event-style).

    An entry whose endpoint cannot be built is logged and left out.

    Example::

        @hookimpl
        def nav_items(ctx, user):
            return [NavItem(label="Notes", endpoint="notes.index", icon="journal")]
    """


@hookspec
def dashboard_widgets(ctx, user):
    """Return cards for the store dashboard. Event-style: a widget that raises is shown
    as an error card and the rest of the dashboard still renders.

    Example::

        @hookimpl
        def dashboard_widgets(ctx, user):
            return [Widget(title="Pinned notes", html=render_template("notes/_pinned.html"))]
    """

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


def owner(spec):
    """Mark a hookspec as an **owner** hook: one enabled plugin answers it in a store.

    Enabling a second plugin that implements it in the same store is refused, naming both
    (like a missing dependency), so no call ever finds two answers. A plugin marks the
    hookspecs it publishes the same way (``Manifest(hookspecs=...)``).
    """
    spec.shopdesk_owner = True
    return spec


def owner_keys(spec):
    """Mark a start-up hookspec whose implementations return *keys* each plugin owns (carrier
    codes, payment provider codes): two plugins owning the same key cannot both be enabled
    in one store."""
    spec.shopdesk_owner_keys = True
    return spec


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


@hookspec
def object_panels(ctx, user, kind, obj):
    """Return panels for the page of one object another plugin owns (event-style).

    ``kind`` names the page (``"order"``, ``"product"``; later ``"customer"``,
    ``"shipment"``, ``"supplier"``, ``"ticket"``) and ``obj`` is what that page shows. Each
    is a :class:`shopdesk.kit.Panel`; ``html`` is trusted markup (render a template), a panel
    with a ``permission`` shows only to members who hold it, and a plugin whose panels fail
    shows an error panel while the page still renders. The page's owner never imports you.

    Example::

        @hookimpl
        def object_panels(ctx, user, kind, obj):
            if kind != "order":
                return []
            notes = notes_about("order", obj.id)
            return [Panel(title="Notes", html=render_template("notes/_panel.html", notes=notes),
                          permission="notes.read")]
    """


@hookspec
def object_actions(ctx, user, kind, obj):
    """Return buttons for the page of one object another plugin owns (event-style).

    Each is a :class:`shopdesk.kit.Action`: a label and a URL, ``method="POST"`` for an
    action that changes something (sent with the page's CSRF token), ``confirm`` for a
    question asked first (destructive actions must ask), and an optional ``permission``.

    Example::

        @hookimpl
        def object_actions(ctx, user, kind, obj):
            if kind != "order":
                return []
            return [Action(label="Add a note", url=url_for("notes.new", about=f"order:{obj.id}"),
                           permission="notes.write")]
    """


# --- commerce: prices, stock, orders ----------------------------------------------------
# The values these hooks exchange are in shopdesk.commerce. "Owner" hooks have one answer in
# a store (the pricing plugin prices, the inventory plugin holds stock): the host calls them
# through ``g.hooks.owner(name, ...)``, which answers None when no enabled plugin owns the
# hook (the caller then does without) and refuses two owners instead of picking one by order.


@owner
@hookspec(firstresult=True)
def price_lines(ctx, lines, customer_group, currency):
    """Price lines for a sale (owner hook: the pricing plugin answers).

    ``lines`` are ``commerce.StockLine`` (SKU and quantity); return one
    ``commerce.PricedLine`` per line, in order, each with its explanation trail (the
    adjustments of ``price_adjustments`` included). Raise ``ValueError`` naming an unknown SKU.
    The orders plugin calls this when it is owned, and uses catalog prices otherwise.

    Example::

        @hookimpl
        def price_lines(ctx, lines, customer_group, currency):
            return [PricedLine(l.sku, l.quantity, 1290, currency,
                               trail=(TrailStep("list price", 1290, 1290, "pricing"),))
                    for l in lines]
    """


@hookspec
def price_adjustments(ctx, quote):
    """Return ``commerce.Adjustment`` s for the lines of one quote (collected, batched).

    Called once per quote with every line (``commerce.Quote``), never once per line. Each
    adjustment names its line index, stage and priority; the host sorts them and applies
    every (stage, priority) step to the price entering it, so the result is the same in
    whatever order plugins run. A failure fails the quote: a price is never half-adjusted.

    Example::

        @hookimpl
        def price_adjustments(ctx, quote):
            if quote.customer_group != "members":
                return []
            return [Adjustment(line=l.index, label="Member price -5 %", stage=Stage.DISCOUNT,
                               percent=Decimal(-5), code="members") for l in quote.lines]
    """


@owner
@hookspec(firstresult=True)
def reserve_stock(ctx, reference, lines):
    """Reserve stock for a document (owner hook: the inventory plugin answers).

    ``reference`` names the document (``"order:42"``); ``lines`` are ``commerce.StockLine``.
    All lines or none: raise ``commerce.OutOfStock`` naming every short SKU. Runs inside the
    caller's transaction, so a rollback of the order also undoes the reservation. Return the
    ``commerce.Allocation`` list (which warehouse holds what).

    Example::

        @hookimpl
        def reserve_stock(ctx, reference, lines):
            return [Allocation(l.sku, l.quantity, "MAIN") for l in lines]
    """


@owner
@hookspec(firstresult=True)
def release_stock(ctx, reference):
    """Release what is still reserved for ``reference`` (an order cancelled, a reservation
    expired). Return the quantity released; releasing twice releases nothing the second time.

    Example::

        @hookimpl
        def release_stock(ctx, reference):
            return Reservation.release_all(reference)
    """


@owner
@hookspec(firstresult=True)
def consume_stock(ctx, reference, lines):
    """Ship ``lines`` of ``reference``: stock leaves the warehouse (``commerce.StockLine``,
    optionally with the warehouse it ships from). Reserved quantities are used first. Return
    the ``commerce.Allocation`` list; raise ``commerce.OutOfStock`` if it cannot ship.

    Example::

        @hookimpl
        def consume_stock(ctx, reference, lines):
            return [ship(reference, l) for l in lines]
    """


@owner
@hookspec(firstresult=True)
def return_stock(ctx, reference, lines):
    """Put returned goods back on hand: each ``commerce.StockLine`` names its warehouse.
    Return the ``commerce.Allocation`` list of what was restocked.

    Example::

        @hookimpl
        def return_stock(ctx, reference, lines):
            return [receive_return(reference, l) for l in lines]
    """


@owner
@hookspec(firstresult=True)
def warehouse_codes(ctx):
    """Return the codes of the warehouses ``ctx.store`` can pack and ship from (owner hook:
    the inventory plugin answers with its active warehouses). The orders plugin refuses a
    parcel naming any other code with 422; without an owner a warehouse is free text.

    Example::

        @hookimpl
        def warehouse_codes(ctx):
            return db.session.scalars(sa.select(Warehouse.code).filter_by(active=True)).all()
    """


@hookspec
def open_stock_demand(ctx):
    """Return a ``commerce.StockDemand`` for each open document of ``ctx.store`` with units
    still to ship that were never reserved (collected; the orders plugin answers with the
    orders placed before a stock owner was enabled). The inventory plugin reserves them,
    oldest first, when a store turns inventory on with orders already open.

    Example::

        @hookimpl
        def open_stock_demand(ctx):
            return [StockDemand(f"order:{o.id}", o.number, o.placed_at,
                                tuple(StockLine(l.sku, l.quantity) for l in o.lines))
                    for o in open_orders_without_reservation()]
    """


@hookspec
def validate_order(ctx, order):
    """Return ``commerce.Problem`` s with an order about to be placed (collected).

    ``order`` is a ``commerce.OrderSnapshot``. Any blocking problem stops the placement with
    its message; non-blocking ones are kept on the order as warnings.

    Example::

        @hookimpl
        def validate_order(ctx, order):
            if order.total > ctx.settings["max_order_total"]:
                return [Problem("too_large", "Orders above the limit need approval.")]
            return []
    """


@hookspec
def score_risk(ctx, order):
    """Return ``commerce.RiskScore`` s for an order being placed (collected); the orders
    plugin stores each with the order and shows them on its page.

    Example::

        @hookimpl
        def score_risk(ctx, order):
            if order.shipping_address.get("country") != order.billing_address.get("country"):
                return [RiskScore("geo_mismatch", 40, "Shipping and billing countries differ")]
            return []
    """


@hookspec
def currency_in_use(ctx):
    """Return what this plugin keeps in ``ctx.store``'s currency, as a short phrase a person
    reads ("3 products"), or None when nothing. Collected: while any plugin answers, the
    store's currency cannot be changed, since amounts are integer minor units of it.

    Example::

        @hookimpl
        def currency_in_use(ctx):
            count = db.session.scalar(sa.select(sa.func.count()).select_from(Invoice))
            return ngettext("%(num)d invoice", "%(num)d invoices", count) if count else None
    """


@hookspec
def payment_providers(ctx):
    """Return the ``commerce.PaymentProvider`` s this plugin offers (collected); payments are
    recorded against a provider code. The orders plugin has the offline ones built in.

    Example::

        @hookimpl
        def payment_providers(ctx):
            return [PaymentProvider("linepay", "LINE Pay", offline=False)]
    """

"""The inventory plugin's scheduled jobs (per store)."""

import logging

from .analytics import notify_slow_movers
from .replenishment import refresh_reorder_points
from .stock import expire_reservations

log = logging.getLogger(__name__)


def release_expired(ctx):
    """Release reservations past their expiry (the store setting; 0 means they never expire)."""
    released = expire_reservations()
    if released:
        log.info("inventory: released %s expired reserved unit(s) in %s", released, ctx.store.slug)


def refresh_reorder(ctx):
    """Recompute every reorder point from the latest demand; send stock.low where it is crossed."""
    refresh_reorder_points(ctx.settings)


def slow_moving(ctx):
    """Send stock.slow_moving for each slow or dead SKU, once per SKU per month."""
    notify_slow_movers(ctx.settings, ctx.store.currency)

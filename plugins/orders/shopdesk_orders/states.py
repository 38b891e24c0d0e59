"""The order state machine, as data: which status may follow which, and why.

::

    draft ──place──▶ placed ──pay──▶ paid ──fulfil──▶ partially_fulfilled ──fulfil──▶ fulfilled
      │                │               │                     │                           │
      └──cancel────────┴──cancel───────┘                     └──────────ship─────────────┤
                  ▼                                                                      ▼
              cancelled                                                               shipped
                                                                                         │ deliver
                                                                                         ▼
                                                                                     delivered
                                                                                         │ complete
                                                                                         ▼
                                                                                     completed

    paid … completed ──refund (the whole paid amount)──▶ refunded

One status says where the order is in its life. Money has its own, derived field,
``payment_status`` (unpaid, partially_paid, paid, partially_refunded, refunded), kept next to
it the way Saleor and Odoo keep payment apart from fulfilment: a partial refund changes
``payment_status`` only, and the lifecycle goes on. When refunds reach everything that was
paid, an order that was paid and not cancelled moves to ``refunded`` (terminal); a cancelled
order stays ``cancelled`` with ``payment_status`` ``refunded``.
"""

from shopdesk.i18n import N_

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("placed", "cancelled"),
    "placed": ("paid", "cancelled"),
    "paid": ("partially_fulfilled", "fulfilled", "cancelled", "refunded"),
    "partially_fulfilled": ("fulfilled", "shipped", "refunded"),
    "fulfilled": ("shipped", "refunded"),
    "shipped": ("delivered", "refunded"),
    "delivered": ("completed", "refunded"),
    "completed": ("refunded",),
    "cancelled": (),
    "refunded": (),
}

STATUSES = tuple(TRANSITIONS)
PAYMENT_STATUSES = ("unpaid", "partially_paid", "paid", "partially_refunded", "refunded")

# Where the other actions are allowed (they are not status changes of their own).
PAYABLE = ("placed",)  # payments are recorded until the total is covered
FULFILLABLE = ("paid", "partially_fulfilled")
SHIPPABLE = ("partially_fulfilled", "fulfilled", "shipped")  # a packed parcel may leave
UNPACKABLE = ("partially_fulfilled", "fulfilled")  # a packed parcel may be cancelled
AWAITING_STOCK = ("placed", "paid", "partially_fulfilled", "fulfilled")  # units may be still to ship
RETURNABLE = ("shipped", "delivered", "completed")
REFUNDABLE = ("paid", "partially_fulfilled", "fulfilled", "shipped", "delivered", "completed", "cancelled")

# Each status an order enters emits this event (placed emits order.placed, …).
STATUS_EVENTS = {
    "placed": "order.placed",
    "paid": "order.paid",
    "partially_fulfilled": "order.partially_fulfilled",
    "fulfilled": "order.fulfilled",
    "shipped": "order.shipped",
    "delivered": "order.delivered",
    "completed": "order.completed",
    "cancelled": "order.cancelled",
    "refunded": "order.refunded",
}


class IllegalTransition(Exception):
    """409: the order is not in a status where this is possible."""

    def __init__(self, current: str, wanted: str, allowed=None):
        self.current, self.wanted = current, wanted
        self.allowed = tuple(TRANSITIONS.get(current, ()) if allowed is None else allowed)
        allowed_text = ", ".join(self.allowed) if self.allowed else "none (final status)"
        super().__init__(f"Cannot {wanted}: the order is {current}; allowed from {current}: {allowed_text}.")


def check(current: str, target: str):
    """Raise IllegalTransition unless ``current`` may become ``target``."""
    if target not in TRANSITIONS.get(current, ()):
        raise IllegalTransition(current, f"move to {target}")


def check_action(current: str, action: str, where: tuple[str, ...]):
    """For actions that are not one transition (pay, fulfil, ship, return, refund)."""
    if current not in where:
        raise IllegalTransition(current, action, TRANSITIONS.get(current, ()))


# What people read for each status (orders, payments, shipments, returns, complaints).
LABELS = {
    "draft": N_("draft"), "placed": N_("placed"), "paid": N_("paid"),
    "partially_fulfilled": N_("partially fulfilled"), "fulfilled": N_("fulfilled"),
    "shipped": N_("shipped"), "delivered": N_("delivered"), "completed": N_("completed"),
    "cancelled": N_("cancelled"), "refunded": N_("refunded"), "unpaid": N_("unpaid"),
    "partially_paid": N_("partially paid"), "partially_refunded": N_("partially refunded"),
    "packed": N_("packed"), "requested": N_("requested"), "approved": N_("approved"),
    "rejected": N_("rejected"), "received": N_("received"), "exchanged": N_("exchanged"),
    "open": N_("open"), "pending": N_("pending"), "closed": N_("closed"),
}

"""Refusal: the one way a service says no, rendered by the host for the API, pages and the CLI.

A service raises ``Refusal(409, "sku_taken", "SKU A-1 is used by another product",
errors={"variants.0.sku": ["taken"]})`` and does not care who called it. The host rolls the
session back (nothing is half-written) and answers:

* under ``/api/``: the API's one error shape ``{status, code, message, errors}``;
* on a page: the message flashed, and the form re-rendered with what the user typed when the
  view says how (:func:`on_refusal`), else a short page with the message and a way back;
* in the CLI: one ``Error: …`` line and exit status 2 (the host's command group does this).

``errors`` may be given flat with dotted field names (``"variants.0.sku"``); the API answers
them nested like marshmallow's. Codes are catalogued in docs/errors.md (a test reads the
source for ``Refusal(..., "code", ...)`` and fails on a code missing there).
"""

from functools import wraps

from flask import flash, render_template, request


class Refusal(Exception):
    """A refusal with its HTTP status, a stable code, a message for people and per-field errors."""

    def __init__(self, status: int, code: str, message: str, errors: dict | None = None):
        super().__init__(message)
        if not 400 <= status < 500:
            raise ValueError(f"a refusal is a 4xx answer, not {status}")
        self.status, self.code, self.message = status, code, str(message)
        self.errors = dict(errors or {})

    @classmethod
    def field(cls, name: str, message: str, *, status: int = 422, code: str = "validation_error"):
        """A refusal of one field: ``Refusal.field("price", "Enter an amount.")``; the message
        names the field so it reads well on its own (CLI, flash)."""
        return cls(status, code, f"{name}: {message}", {name: [str(message)]})

    def nested_errors(self) -> dict:
        """``{"variants.0.sku": [...]}`` as ``{"variants": {"0": {"sku": [...]}}}``."""
        tree: dict = {}
        for name, messages in self.errors.items():
            node, parts = tree, str(name).split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = messages if isinstance(messages, (list, dict)) else [str(messages)]
        return tree

    def body(self) -> dict:
        return {"status": self.status, "code": self.code, "message": self.message,
                "errors": self.nested_errors()}

    def __repr__(self):
        return f"Refusal({self.status}, {self.code!r}, {self.message!r})"


def on_refusal(render):
    """Re-render the form when the view refuses: ``render(refusal)`` returns the page (built
    from ``request.form``, so the user's input stays); it is answered with the refusal's status.

    Example::

        @bp.route("/new", methods=["POST"])
        @requires("notes.write")
        @on_refusal(lambda refusal: render_template("notes/new.html", form=request.form,
                                                    errors=refusal.errors))
        def create():
            write_note(load_form(NoteSchema))
            ...
    """
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except Refusal as refusal:
                _rollback()
                flash(refusal.message, "danger")
                return render(refusal), refusal.status

        return wrapper

    return decorator


def _rollback():
    from ..db import db

    db.session.rollback()


def handle_refusal(refusal: Refusal):
    """The app-wide handler: JSON under /api/, a short page elsewhere (views that keep the
    user's input use :func:`on_refusal`)."""
    from flask import jsonify

    _rollback()
    if request.path.startswith("/api/"):
        return jsonify(refusal.body()), refusal.status
    return render_template("shell/refused.html", refusal=refusal, back=_same_site_referrer()), refusal.status


def _same_site_referrer() -> str | None:
    referrer = request.referrer or ""
    return referrer if referrer.startswith(request.host_url) else None


def init_app(app):
    app.register_error_handler(Refusal, handle_refusal)

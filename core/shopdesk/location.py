"""``Location`` on the API's 201 answers: where the client reads what it just created.

No view sets it: after a 201 whose JSON body carries an ``id``, the host tries the request's
path plus ``/<id>`` and sets it when the app has a GET route there. ``POST /api/v1/orders``
answers ``Location: /api/v1/orders/7``; ``POST /api/v1/orders/7/payments`` answers none,
because no route reads one payment. A view that sets its own Location keeps it. An
idempotent replay is a 201 of the same path and body, so it carries the same Location.
:func:`item_rule` tells the OpenAPI document which 201 answers declare it.
"""

from urllib.parse import quote

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from .api import API_PREFIX


def init_app(app):
    app.after_request(add_location)


def add_location(response):
    if (response.status_code != 201 or "Location" in response.headers or response.is_streamed
            or not response.is_json or not request.path.startswith(API_PREFIX + "/")):
        return response
    body = response.get_json(silent=True)
    if not isinstance(body, dict) or body.get("id") in (None, ""):
        return response
    path = f"{request.path.rstrip('/')}/{quote(str(body['id']), safe='')}"
    if _has_get_route(path):
        response.headers["Location"] = request.script_root + path
    return response


def _has_get_route(path: str) -> bool:
    try:
        current_app.create_url_adapter(request).match(path, method="GET")
    except HTTPException:  # no route, no GET there, or a redirect to another path
        return False
    return True


def item_rule(app, collection_rule: str):
    """The GET route reading one of what a POST to ``collection_rule`` creates (the collection's
    rule plus one variable segment, as ``/orders`` and ``/orders/<int:order_id>``), or None."""
    for rule in app.url_map.iter_rules():
        rest = rule.rule.removeprefix(collection_rule + "/")
        if (rest != rule.rule and "GET" in rule.methods and "/" not in rest
                and rest.startswith("<") and rest.endswith(">")):
            return rule
    return None

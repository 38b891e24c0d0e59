"""The host's conformance checks, over the inventory plugin's own routes.

The app here has only inventory and what it requires, so another plugin's demo data or
routes cannot decide these results.
"""

from importlib.metadata import entry_points

import pytest

from shopdesk import conformance


@pytest.fixture
def app(make_app):
    ours = [ep for ep in entry_points(group="shopdesk.plugins") if ep.name in ("catalog", "inventory")]
    app = make_app(entry_points=ours, RATELIMIT_ENABLED=False)  # the bad-input sweep makes hundreds of calls
    with app.app_context():
        yield app


def test_another_stores_inventory_answers_404_and_stays_unchanged(app, db, token_for):
    swept = []
    assert conformance.isolation_failures(app, db, token_for, prefix="/api/v1/inventory", swept=swept) == []
    assert {"POST /api/v1/inventory/transfers/{transfer_id}/ship",
            "POST /api/v1/inventory/counts/{count_id}/approve",
            "DELETE /api/v1/inventory/lead-times/{lead_time_id}"} <= set(swept)


def test_no_bad_input_makes_the_inventory_api_fail(app, db, token_for):
    assert conformance.bad_input_failures(app, db, token_for, prefix="/api/v1/inventory") == []


def test_every_inventory_route_declares_its_permission(app):
    assert conformance.undeclared_routes(app, prefix="/api/v1/inventory") == []
    assert conformance.undeclared_routes(app, prefix="/s/<store>/inventory") == []

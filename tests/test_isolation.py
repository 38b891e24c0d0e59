"""Tenant isolation sweep: store A's token never reaches store B's objects.

The sweep reads the OpenAPI spec, so every installed plugin's routes are covered without
editing this file: two stores get every plugin's demo data, then every route with an id is
called with A's token on B's ids. The answer must be 404, and B's object must be unchanged.
The sweep itself lives in ``shopdesk.conformance``, so plugins outside this checkout run it too.
"""

import pytest

from shopdesk import conformance


def test_store_a_token_gets_404_on_every_id_route_of_store_b(app, db, token_for):
    swept = []
    assert conformance.isolation_failures(app, db, token_for, swept=swept) == []
    assert {"GET /api/v1/roles/{role_id}", "DELETE /api/v1/tokens/{token_id}",
            "POST /api/v1/webhooks/{webhook_id}/attempts/{attempt_id}/resend"} <= set(swept)


@pytest.mark.parametrize("path", ["/api/v1/roles", "/api/v1/members", "/api/v1/tokens"])
def test_store_a_lists_never_show_store_b(app, db, token_for, path):
    a, b = (conformance.store_with_demo_data(app, db, slug) for slug in ("a", "b"))
    answer = app.test_client().get(path, headers={"Authorization": f"Bearer {token_for(*a)}"})
    assert answer.status_code == 200
    assert "owner-b@example.com" not in answer.get_data(as_text=True)
    ids_b = {r["id"] for r in app.test_client().get(
        path, headers={"Authorization": f"Bearer {token_for(*b)}"}).get_json() if "id" in r}
    assert not ids_b & {r["id"] for r in answer.get_json() if "id" in r}


def test_the_sweep_reports_a_route_that_leaks_another_stores_object(make_app, db, token_for):
    """The check can fail: a plugin that reads rows without the tenant filter is caught."""
    import flask_smorest
    import sqlalchemy as sa

    from shopdesk.auth.permissions import requires
    from shopdesk.auth.tokens import ApiToken
    from shopdesk.testing import make_plugin

    leaky = flask_smorest.Blueprint("leaky", __name__, url_prefix="/leaky")

    @leaky.route("/tokens")
    @requires("store.view")
    def tokens():
        return flask.jsonify([{"id": t.id} for t in _all_tokens()])

    @leaky.route("/tokens/<int:token_id>")
    @requires("store.view")
    def token(token_id):
        return {"id": token_id}  # answers for any store's id: the bug the sweep must find

    def _all_tokens():
        return db.session.scalars(sa.select(ApiToken).where(ApiToken.store_id == flask.g.store.id)
                                  .execution_options(all_stores=True)).all()

    import flask

    app = make_app(plugins=[make_plugin("leaky", register_api=lambda: [leaky])], entry_points=[])
    failures = conformance.isolation_failures(app, db, token_for, prefix="/api/v1/leaky")
    assert failures and all("with store A's token: 200" in f for f in failures)

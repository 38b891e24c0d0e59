"""No input, however wrong, makes the API answer 500: every operation in the spec is tried
(``shopdesk.conformance.bad_input_failures``, which plugins outside this checkout run too)."""

import pytest

from shopdesk import conformance


@pytest.fixture
def app(make_app):
    app = make_app(RATELIMIT_ENABLED=False)  # hundreds of calls from one caller, on purpose
    with app.app_context():
        yield app


def test_no_bad_input_gives_a_500(app, db, token_for):
    assert conformance.bad_input_failures(app, db, token_for) == []

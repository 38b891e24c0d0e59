"""The page greets the user with the store's own greeting, and only those allowed to see it."""

from shopdesk.auth.models import create_user
from shopdesk.auth.roles import add_member, create_role


def test_the_page_uses_the_stores_greeting(client, cli):
    page = client.get("/s/acme/myplugin/")
    assert page.status_code == 200
    assert b"Hello, Owner: this is Acme Store." in page.data

    assert cli("plugins", "configure", "acme", "myplugin", "greeting=Welcome back").exit_code == 0
    assert b"Welcome back, Owner" in client.get("/s/acme/myplugin/").data


def test_only_members_holding_myplugin_read_see_the_page(app, db, store, client):
    # A role that may see the store, but not this plugin's page.
    create_role(store, "packer", ["store.view"])
    packer = create_user("packer@example.com", "packer password 1")
    add_member(store, packer, "packer")
    db.session.commit()
    as_packer = app.test_client(user=packer)

    # The owner holds every permission. Without @requires on the view the host would refuse
    # the route to everyone (403), and with the wrong permission the packer would get in.
    assert client.get("/s/acme/myplugin/").status_code == 200
    assert as_packer.get("/s/acme/myplugin/").status_code == 403
    assert b"/s/acme/myplugin/" not in as_packer.get("/s/acme/").data  # no link either

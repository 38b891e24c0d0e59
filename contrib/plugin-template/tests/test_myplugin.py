"""The page greets the user with the store's own greeting."""


def test_the_page_uses_the_stores_greeting(client, cli):
    page = client.get("/s/acme/myplugin/")
    assert page.status_code == 200
    assert b"Hello, Owner: this is Acme Store." in page.data

    assert cli("plugins", "configure", "acme", "myplugin", "greeting=Welcome back").exit_code == 0
    assert b"Welcome back, Owner" in client.get("/s/acme/myplugin/").data

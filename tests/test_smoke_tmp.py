def test_store(store, client):
    r = client.get("/s/acme/")
    assert r.status_code == 200, r.data
    r = client.get("/s/acme/plugins")
    assert r.status_code == 200

"""The API's refusals are its own: JSON in the one error format, in Shopdesk's words, with the
headers a client library acts on."""


def test_an_unknown_path_says_there_is_no_such_operation(client):
    answer = client.get("/api/v1/nowhere")
    assert answer.status_code == 404 and answer.content_type == "application/json"
    assert answer.json["message"] == "There is no API operation at /api/v1/nowhere: see /api/openapi.json."


def test_a_missing_object_is_a_json_404_naming_the_path(client):
    answer = client.get("/api/v1/orders/424242")
    assert (answer.status_code, answer.json["code"]) == (404, "not_found")
    assert "/api/v1/orders/424242" in answer.json["message"]


def test_no_credentials_get_a_bearer_challenge_and_what_to_send(app):
    answer = app.test_client().get("/api/v1/orders")
    assert (answer.status_code, answer.headers["WWW-Authenticate"]) == (401, 'Bearer realm="Shopdesk"')
    assert "Authorization: Bearer" in answer.json["message"]


def test_a_bad_token_is_named_invalid_in_the_challenge(app):
    answer = app.test_client().get("/api/v1/orders", headers={"Authorization": "Bearer sdk_nope"})
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="Shopdesk", error="invalid_token"'


def test_a_method_the_path_does_not_take_is_refused_with_allow(client):
    answer = client.open("/api/v1/orders", method="TRACE")
    assert answer.status_code == 405
    assert {m.strip() for m in answer.headers["Allow"].split(",")} >= {"GET", "POST"}
    assert answer.json["message"] == "TRACE is not allowed on /api/v1/orders; use GET, HEAD, POST."


def test_malformed_json_is_a_400_naming_the_body(client):
    answer = client.post("/api/v1/roles", data="{not json", content_type="application/json")
    assert (answer.status_code, answer.json["code"], answer.json["errors"]) == (400, "bad_request", {"body": ["Invalid JSON body."]})


def test_an_answer_without_content_has_no_content_type(client):
    token = client.post("/api/v1/tokens", json={"name": "old", "permissions": ["store.view"]}).json
    answer = client.delete(f"/api/v1/tokens/{token['id']}")
    assert answer.status_code == 204 and answer.data == b"" and "Content-Type" not in answer.headers


def test_the_document_declares_the_challenge_and_the_retry_after(client):
    responses = client.get("/api/openapi.json").json["components"]["responses"]
    assert "WWW-Authenticate" in responses["Unauthorized"]["headers"]
    assert "Retry-After" in responses["Conflict"]["headers"]


def test_every_error_code_the_code_sends_is_in_the_catalogue():
    import re
    from pathlib import Path

    from shopdesk.api import ERROR_CODES

    root = Path(__file__).resolve().parent.parent
    catalogue = set(re.findall(r"^\| `([a-z_]+)` \|", (root / "docs" / "errors.md").read_text(), re.M))
    sources = [p for base in ("core", "plugins", "contrib") for p in (root / base).rglob("*.py")
               if "tests" not in p.parts and "build" not in p.parts]
    sent = {code for path in sources for code in re.findall(r"\bcode=\"([a-z_]+)\"", path.read_text())}
    sent |= {code for path in sources for code in re.findall(r"\bRefusal\(\s*\d{3},\s*\"([a-z_]+)\"", path.read_text())}
    assert (sent - PRICE_STEPS) | set(ERROR_CODES.values()) <= catalogue


PRICE_STEPS = {"members", "volume", "rounding"}  # codes of a price's explained steps, not errors


def test_a_taken_sku_and_a_taken_name_say_so_in_their_code(client, store):
    made = client.post("/api/v1/catalog/products", json={"name": "Mug", "variants": [{"sku": "MUG-1", "price": 900}]})
    assert made.status_code == 201
    again = client.post("/api/v1/catalog/products", json={"name": "Cup", "variants": [{"sku": "MUG-1", "price": 900}]})
    assert (again.status_code, again.json["code"]) == (409, "sku_taken")
    assert client.post("/api/v1/catalog/brands", json={"name": "Acme"}).status_code == 201
    assert client.post("/api/v1/catalog/brands", json={"name": "Acme"}).json["code"] == "name_taken"
    assert client.post("/api/v1/roles", json={"name": "owner"}).json["code"] == "name_taken"


def test_a_move_the_status_does_not_allow_is_an_invalid_transition(client, store):
    client.post("/api/v1/catalog/products", json={"name": "Mug", "status": "active", "variants": [{"sku": "MUG-1", "price": 900}]})
    order = client.post("/api/v1/orders", json={"lines": [{"sku": "MUG-1", "quantity": 1}], "draft": True}).json
    assert client.post(f"/api/v1/orders/{order['id']}/cancel").status_code == 200
    refused = client.post(f"/api/v1/orders/{order['id']}/place")
    assert (refused.status_code, refused.json["code"]) == (409, "invalid_transition")

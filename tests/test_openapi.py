"""The OpenAPI document at /api/openapi.json is valid, true, and enough to build a client on."""

import importlib
import subprocess
import sys

import httpx
import pytest
from flask import jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from openapi_spec_validator import validate

from shopdesk.auth.permissions import declared_permission, requires
from shopdesk.testing import AnswerOutsideTheDocument, check_answer, make_plugin

AUTHENTICATED_ANSWERS = {"401", "403", "404", "429"}


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def parameter_names(spec, operation):
    names = set()
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        names.add((parameter["in"], parameter["name"]))
    return names


def test_the_document_with_every_plugin_installed_is_valid_openapi(client):
    spec = client.get("/api/openapi.json").get_json()
    assert {"/api/v1/catalog/products", "/api/v1/orders", "/api/v1/inventory/warehouses",
            "/api/v1/pricing/price-lists", "/api/v1/notes"} <= set(spec["paths"])
    validate(spec)


def test_every_operation_has_a_unique_id_its_security_and_its_error_answers(client):
    spec = client.get("/api/openapi.json").get_json()
    ids, missing = [], []
    for path, method, operation in operations(spec):
        ids.append(operation.get("operationId"))
        where = f"{method.upper()} {path}"
        if operation.get("security") != [{"token": []}, {"session": []}]:
            missing.append(f"{where}: security")
        if not AUTHENTICATED_ANSWERS <= set(operation["responses"]):
            missing.append(f"{where}: {sorted(AUTHENTICATED_ANSWERS - set(operation['responses']))}")
        if ("header", "Shopdesk-Store") not in parameter_names(spec, operation):
            missing.append(f"{where}: Shopdesk-Store header")
        if "422" not in operation["responses"]:
            missing.append(f"{where}: 422")  # an unknown query parameter is refused on any operation
        if not any(code.startswith("2") for code in operation["responses"]):
            missing.append(f"{where}: its success answer")
    assert missing == []
    assert None not in ids and len(ids) == len(set(ids))


def test_the_idempotent_operations_declare_the_idempotency_key_and_what_a_reused_key_answers(app, client):
    spec = client.get("/api/openapi.json").get_json()
    idempotent = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in rule.methods & {"POST", "PUT", "PATCH"}:
            handler = getattr(getattr(view, "view_class", None), method.lower(), view)
            if getattr(handler, "shopdesk_idempotent", False):
                idempotent.add((rule.rule.replace("<int:", "{").replace(">", "}").replace("<", "{"), method.lower()))
    assert ("/api/v1/orders", "post") in idempotent
    for path, method in idempotent:
        operation = spec["paths"][path][method]
        assert ("header", "Idempotency-Key") in parameter_names(spec, operation), path
        assert {"409", "422"} <= set(operation["responses"]), path
    others = [(p, m) for p, m, op in operations(spec)
              if (p, m) not in idempotent and ("header", "Idempotency-Key") in parameter_names(spec, op)]
    assert others == []


def test_each_operation_names_its_permission(app, client):
    spec = client.get("/api/openapi.json").get_json()
    products = spec["paths"]["/api/v1/catalog/products"]
    assert products["post"]["x-shopdesk-permission"] == declared_permission(app, "catalog_api.Products", "POST")
    assert "`catalog.write`" in products["post"]["description"]
    assert products["get"]["x-shopdesk-permission"] == "catalog.read"


def test_the_error_schema_has_an_integer_status_and_a_string_code(client):
    spec = client.get("/api/openapi.json").get_json()
    error = spec["components"]["schemas"]["Error"]["properties"]
    assert error["status"]["type"] == "integer" and error["code"]["type"] == "string"
    answer = client.get("/api/v1/orders/999999")
    assert answer.status_code == 404 and isinstance(answer.get_json()["status"], int)


def test_the_catalog_import_upload_is_one_multipart_body(client):
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/catalog/imports"]["post"]
    assert all(p.get("in") != "formData" for p in operation.get("parameters", []))
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["file"] == {"type": "string", "format": "binary", "description": schema[
        "properties"]["file"]["description"]}
    assert {"file", "mode", "dry_run"} <= set(schema["properties"]) and schema["required"] == ["file"]


def test_computed_fields_have_types_and_tax_rate_is_one_type_both_ways(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    product = schemas["CatalogProductOut"]["properties"]
    assert product["brand"]["type"] == product["category"]["type"] == "string"
    assert product["tags"] == {**product["tags"], "type": "array", "items": product["tags"]["items"]}
    assert product["tags"]["items"]["type"] == "string"
    assert product["translations"]["additionalProperties"] == {"$ref": "#/components/schemas/CatalogTranslationOut"}
    transitions = schemas["OrdersOrderOut"]["properties"]["allowed_transitions"]
    assert transitions["type"] == "array" and "paid" in transitions["items"]["enum"]
    taken, answered = schemas["OrdersLineIn"]["properties"]["tax_rate"], schemas["OrdersLineOut"]["properties"]["tax_rate"]
    assert (taken["type"], taken["format"]) == (answered["type"], answered["format"]) == ("string", "decimal")
    for schema in schemas.values():  # no bound written as a string
        for prop in (schema.get("properties") or {}).values():
            assert not isinstance(prop.get("minimum", 0), str) and not isinstance(prop.get("maximum", 0), str)


@pytest.fixture
def storefront(app, db, user):
    """A store with only catalog and orders, as an integrator installs them."""
    from shopdesk.stores import create_store, enable_plugin

    store = create_store("front", "Storefront", currency="USD", owner=user)
    for name in ("catalog", "orders"):
        enable_plugin(app.extensions["shopdesk"], store, name)
    db.session.commit()
    return store


def test_a_tax_rate_comes_back_as_the_decimal_it_was_sent_as(app, user, storefront, token_for):
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(user, storefront)}"
    api.post("/api/v1/catalog/products", json={"name": "Mug", "status": "active",
                                               "variants": [{"sku": "MUG-T", "price": 1000}]})
    answer = api.post("/api/v1/orders", json={"lines": [{"sku": "MUG-T", "quantity": 1, "tax_rate": 10},
                                                        {"sku": "MUG-T", "quantity": 1, "tax_rate": "8.25"}]})
    assert answer.status_code == 201, answer.get_json()
    assert [line["tax_rate"] for line in answer.get_json()["lines"]] == ["10", "8.25"]


# --- the answer check itself ------------------------------------------------------------------------

class NumberSchema(Schema):
    number = fields.Integer()


probe_api = Blueprint("probe_api", __name__, url_prefix="/probe", description="Answers outside the document.")


@probe_api.route("")
class Probe(MethodView):
    @requires("store.view")
    @probe_api.response(200, NumberSchema)
    def get(self):
        """Answers past the schema (a Response object is not serialised)."""
        if request.headers.get("X-Probe-Conflict"):
            return jsonify(status=409, code="conflict", message="no", errors={}), 409
        return jsonify(number="not a number")


PROBE = make_plugin("probe", register_api=lambda: [probe_api])


@pytest.mark.shopdesk_plugins(PROBE)
def test_an_answer_the_document_does_not_describe_fails_the_test(app, client):
    with pytest.raises(AnswerOutsideTheDocument, match="at number: 'not a number' is not of type 'integer'"):
        client.get("/api/v1/probe")
    with pytest.raises(AnswerOutsideTheDocument, match="lists no 409 answer for GET /api/v1/probe"):
        client.get("/api/v1/probe", headers={"X-Probe-Conflict": "1"})


@pytest.mark.shopdesk_plugins(PROBE)
@pytest.mark.shopdesk_unchecked_answers
def test_a_test_marked_unchecked_gets_the_answer_as_it_is(app, client):
    answer = client.get("/api/v1/probe")
    assert answer.get_json() == {"number": "not a number"}
    with pytest.raises(AnswerOutsideTheDocument):
        check_answer(app, answer)


# --- a client generated from the document -----------------------------------------------------------

@pytest.fixture(scope="session")
def generated_client(tmp_path_factory):
    """openapi-python-client's client for the served document, generated once per session."""
    from cryptography.fernet import Fernet

    from shopdesk.app import create_app

    folder = tmp_path_factory.mktemp("generated-client")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SHOPDESK_SETTINGS_KEY": Fernet.generate_key(),
                      "INSTANCE_PATH": str(folder), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/unused.db"})
    (folder / "openapi.json").write_bytes(app.test_client().get("/api/openapi.json").get_data())
    (folder / "config.yaml").write_text("post_hooks: []\nproject_name_override: shopdesk_client\n"
                                        "package_name_override: shopdesk_client\n")
    generated = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", "openapi.json", "--meta", "none",
         "--config", "config.yaml", "--output-path", "shopdesk_client"],
        cwd=folder, capture_output=True, text=True, timeout=300)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout + generated.stderr, generated.stdout + generated.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("shopdesk_client")
    finally:
        sys.path.remove(str(folder))


def _wsgi(app):
    """The app as httpx's WSGI transport calls it: a fresh app context per request, as in production."""

    def call(environ, start_response):
        with app.app_context():
            return [b"".join(app(environ, start_response))]

    return call


def test_a_generated_client_drives_a_storefront_flow(app, user, storefront, token_for, generated_client):
    api = importlib.import_module("shopdesk_client.api")
    models = importlib.import_module("shopdesk_client.models")
    catalog = importlib.import_module(f"{api.__name__}.catalog_api")
    orders = importlib.import_module(f"{api.__name__}.orders_api")
    for name in ("catalog_products_post", "catalog_product_by_id_get"):
        importlib.import_module(f"{catalog.__name__}.{name}")
    for name in ("orders_orders_post", "orders_payments_post", "orders_order_by_id_get"):
        importlib.import_module(f"{orders.__name__}.{name}")
    shop = generated_client.AuthenticatedClient(base_url="http://localhost", token=token_for(user, storefront),
                                                httpx_args={"transport": httpx.WSGITransport(app=_wsgi(app))})

    product = catalog.catalog_products_post.sync(client=shop, body=models.CatalogProduct.from_dict({
        "name": "Enamel mug", "status": "active", "variants": [{"sku": "MUG-1", "price": 1290}]}))
    assert isinstance(product, models.CatalogProductOut), product
    read = catalog.catalog_product_by_id_get.sync(product.id, client=shop)
    assert (read.name, [v.sku for v in read.variants], read.currency) == ("Enamel mug", ["MUG-1"], "USD")

    order = orders.orders_orders_post.sync(client=shop, body=models.OrdersOrderIn.from_dict({
        "channel": "web", "customer": {"name": "Ann", "email": "ann@example.com"},
        "lines": [{"sku": "MUG-1", "quantity": 2}]}))
    assert isinstance(order, models.OrdersOrderOut), order
    assert (order.status, order.total, order.allowed_transitions) == ("placed", 2580, ["paid", "cancelled"])

    payment = orders.orders_payments_post.sync(order.id, client=shop, body=models.OrdersPaymentIn(
        provider="manual", amount=order.total))
    assert isinstance(payment, models.OrdersPaymentOut), payment
    paid = orders.orders_order_by_id_get.sync(order.id, client=shop)
    assert (paid.status, paid.payment_status, paid.balance_due) == ("paid", "paid", 0)
    assert [line.sku for line in paid.lines] == ["MUG-1"]


def test_every_list_is_paged_the_same_way(client):
    """A GET answering an array pages it: ``page``/``page_size`` in, the X-Pagination header out."""
    spec = client.get("/api/openapi.json").get_json()
    lists, unpaged = [], []
    for path, method, operation in operations(spec):
        answer = operation["responses"].get("200", {})
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        if method != "get" or schema.get("type") != "array":
            continue
        lists.append(path)
        if not ({("query", "page"), ("query", "page_size")} <= parameter_names(spec, operation)
                and "X-Pagination" in answer.get("headers", {})):
            unpaged.append(f"GET {path}")
    assert {"/api/v1/orders/{order_id}/timeline", "/api/v1/inventory/levels", "/api/v1/audit"} <= set(lists)
    assert unpaged == []

"""Product selection: candidates, their explainable score, and promotion to a draft product."""

import threading

import pytest
import sqlalchemy as sa

from shopdesk.audit import AuditEntry
from shopdesk.stores import create_store, enable_plugin, use_store
from shopdesk_catalog.models import Candidate, Product

# demand 250/500 = 0.5; search 0.8; feedback (90 x 0.9 + 10 x 0.5) / 100 = 0.86;
# margin 60 % of 50 % = 1 (capped); target 10.00 below competitor 11.00 = 1.
# default weights 3, 1, 2, 3, 1: (1.5 + 0.8 + 1.72 + 3 + 1) / 10 = 80.2
STRONG = {"name": "Linen tote bag", "supplier": "Nordic Textiles", "expected_demand": 250, "search_interest": 80,
          "feedback_rating": 4.5, "feedback_count": 90, "supplier_cost": 400, "competitor_price": 1100,
          "target_price": 1000}


def add(client, **fields):
    response = client.post("/api/v1/catalog/candidates", json=fields)
    assert response.status_code == 201, response.json
    return response.json


def factor(candidate, name):
    return next(line for line in candidate["breakdown"] if line["factor"] == name)


def test_a_candidate_comes_back_with_its_score_and_every_factor_explained(client):
    candidate = add(client, **STRONG)
    assert candidate["score"] == 80.2
    assert candidate["expected_margin_percent"] == 60.0
    assert [line["factor"] for line in candidate["breakdown"]] == ["demand", "search", "feedback", "margin", "price"]
    assert factor(candidate, "demand") == {
        "factor": "demand", "raw": 250, "missing": False, "normalised": 0.5, "weight": 3.0, "contribution": 15.0,
        "rule": "expected units a month ÷ 500, at most 1"}
    assert factor(candidate, "feedback")["raw"] == {"rating": 4.5, "reviews": 90}
    assert factor(candidate, "feedback")["normalised"] == 0.86
    assert factor(candidate, "margin")["normalised"] == 1.0
    assert round(sum(line["contribution"] for line in candidate["breakdown"]), 1) == candidate["score"]
    assert client.get(f"/api/v1/catalog/candidates/{candidate['id']}").json["score"] == 80.2


def test_changing_a_weight_changes_the_score_and_its_breakdown(client, cli):
    candidate_id = add(client, **STRONG)["id"]
    assert cli("plugins", "configure", "acme", "catalog", "weight_demand=0").exit_code == 0
    candidate = client.get(f"/api/v1/catalog/candidates/{candidate_id}").json
    assert factor(candidate, "demand")["weight"] == 0.0
    assert factor(candidate, "demand")["contribution"] == 0.0
    assert candidate["score"] == 93.1  # (0.8 + 1.72 + 3 + 1) / 7
    assert cli("plugins", "configure", "acme", "catalog", "demand_full_units=250").exit_code == 0
    assert cli("plugins", "configure", "acme", "catalog", "weight_demand=3").exit_code == 0
    candidate = client.get(f"/api/v1/catalog/candidates/{candidate_id}").json
    assert factor(candidate, "demand")["normalised"] == 1.0
    assert factor(candidate, "demand")["rule"] == "expected units a month ÷ 250, at most 1"
    assert candidate["score"] == 95.2  # (3 + 0.8 + 1.72 + 3 + 1) / 10


def test_weights_are_validated(cli, store):
    result = cli("plugins", "configure", "acme", "catalog", "weight_margin=-1")
    assert result.exit_code == 2 and "weight_margin" in result.output
    zero = [f"weight_{name}=0" for name in ("demand", "search", "feedback", "margin", "price")]
    result = cli("plugins", "configure", "acme", "catalog", *zero)
    assert result.exit_code == 2 and "At least one weight must be above zero." in result.output


def test_missing_evidence_is_shown_as_missing_and_scored_by_the_stores_rule(client, cli):
    candidate = add(client, name="Ceramic mug", supplier_cost=300, target_price=1000)  # margin 70 %: only that
    demand = factor(candidate, "demand")
    assert demand["missing"] is True and demand["raw"] is None
    assert demand["normalised"] == 0.5 and "counted as 0.5 (neutral)" in demand["rule"]
    assert candidate["evidence_share"] == 0.3
    assert candidate["score"] == 65.0  # (3 x 1 + 7 x 0.5) / 10
    cli("plugins", "configure", "acme", "catalog", "missing_evidence=pessimistic")
    candidate = client.get(f"/api/v1/catalog/candidates/{candidate['id']}").json
    assert candidate["score"] == 30.0 and factor(candidate, "search")["normalised"] == 0.0
    cli("plugins", "configure", "acme", "catalog", "missing_evidence=exclude")
    candidate = client.get(f"/api/v1/catalog/candidates/{candidate['id']}").json
    assert candidate["score"] == 100.0  # only the margin counts
    assert factor(candidate, "search")["normalised"] is None
    assert factor(candidate, "search")["contribution"] == 0.0
    assert "left out" in factor(candidate, "search")["rule"]


def test_a_rating_without_reviews_is_refused_and_bad_evidence_names_each_field(client):
    response = client.post("/api/v1/catalog/candidates", json={
        "name": "", "search_interest": 101, "feedback_rating": 6, "supplier_cost": -5})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"name", "search_interest", "feedback_rating", "supplier_cost"}
    response = client.post("/api/v1/catalog/candidates", json={"name": "Mug", "feedback_rating": 4.0})
    assert response.status_code == 422
    assert response.json["errors"] == {"feedback_count": ["A rating needs the number of reviews it is based on."]}


def test_the_list_is_ranked_best_first_and_filters_by_status(client):
    weak = add(client, name="Plain socks", expected_demand=10, search_interest=5, supplier_cost=90,
               target_price=100, competitor_price=80)
    strong = add(client, **STRONG)
    middle = add(client, name="Ceramic mug", supplier_cost=300, target_price=1000)
    listed = client.get("/api/v1/catalog/candidates").json
    assert [c["id"] for c in listed] == [strong["id"], middle["id"], weak["id"]]
    assert [c["id"] for c in client.get("/api/v1/catalog/candidates?sort=score").json] == \
        [weak["id"], middle["id"], strong["id"]]
    client.post(f"/api/v1/catalog/candidates/{weak['id']}/reject", json={"reason": "Margin too thin"})
    assert [c["id"] for c in client.get("/api/v1/catalog/candidates").json] == [strong["id"], middle["id"]]
    rejected = client.get("/api/v1/catalog/candidates?status=rejected").json
    assert [(c["id"], c["rejected_reason"]) for c in rejected] == [(weak["id"], "Margin too thin")]
    assert [c["name"] for c in client.get("/api/v1/catalog/candidates?status=all&q=MUG").json] == ["Ceramic mug"]


def test_promoting_makes_a_draft_product_that_keeps_the_evidence(client, db, store):
    candidate = add(client, **STRONG)
    response = client.post(f"/api/v1/catalog/candidates/{candidate['id']}/promote", json={"sku": "TOTE-LIN"})
    assert response.status_code == 201, response.json
    promoted = response.json
    assert promoted["status"] == "promoted" and promoted["product_id"]
    with use_store(store):
        product = db.session.get(Product, promoted["product_id"])
        assert (product.name, product.status) == ("Linen tote bag", "draft")
        assert [(v.sku, v.price, v.unit_cost) for v in product.variants] == [("TOTE-LIN", 1000, 400)]
        evidence = product.evidence
    assert evidence["candidate_id"] == candidate["id"]
    assert evidence["score"] == 80.2
    assert evidence["evidence"]["expected_demand"] == 250
    assert evidence["evidence"]["feedback_rating"] == "4.50"
    assert evidence["weights"] == {"demand": 3.0, "search": 1.0, "feedback": 2.0, "margin": 3.0, "price": 1.0}
    assert {line["factor"]: line["contribution"] for line in evidence["breakdown"]}["demand"] == 15.0
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(store_id=store.id, action="catalog.candidate.promoted"))
    assert entry.after["product_id"] == promoted["product_id"] and entry.after["sku"] == "TOTE-LIN"


def test_promoting_twice_is_refused_with_a_clear_conflict(client):
    candidate = add(client, **STRONG)
    first = client.post(f"/api/v1/catalog/candidates/{candidate['id']}/promote", json={"sku": "TOTE-1"})
    again = client.post(f"/api/v1/catalog/candidates/{candidate['id']}/promote", json={"sku": "TOTE-2"})
    assert again.status_code == 409
    assert again.json["message"] == f"'Linen tote bag' was already promoted (product {first.json['product_id']})."
    assert client.patch(f"/api/v1/catalog/candidates/{candidate['id']}", json={"notes": "x"}).status_code == 409


def test_two_simultaneous_promotions_make_one_product(app, client, db, store, user):
    candidate_id = add(client, **STRONG)["id"]
    answers = []
    barrier = threading.Barrier(2)

    def promote(sku):
        with app.app_context():
            own = app.test_client(user=user)  # its own requests, sessions and connections
            barrier.wait()
            answer = own.post(f"/api/v1/catalog/candidates/{candidate_id}/promote", json={"sku": sku},
                                headers={"Shopdesk-Store": "acme"})
            answers.append(answer.status_code)

    threads = [threading.Thread(target=promote, args=(sku,)) for sku in ("A-1", "A-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [201, 409]
    with use_store(store):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 1


def test_a_sku_another_product_uses_is_refused_and_the_candidate_stays_open(client):
    first = add(client, **STRONG)
    second = add(client, name="Canvas tote", target_price=900, supplier_cost=300)
    client.post(f"/api/v1/catalog/candidates/{first['id']}/promote", json={"sku": "TOTE"})
    response = client.post(f"/api/v1/catalog/candidates/{second['id']}/promote", json={"sku": "TOTE"})
    assert response.status_code == 409
    assert "TOTE" in response.json["errors"]["sku"][0] and "Linen tote bag" in response.json["errors"]["sku"][0]
    assert client.get(f"/api/v1/catalog/candidates/{second['id']}").json["status"] == "open"


def test_a_candidate_without_a_target_price_needs_a_price_to_be_promoted(client):
    candidate = add(client, name="Desk lamp", supplier_cost=1500)
    response = client.post(f"/api/v1/catalog/candidates/{candidate['id']}/promote", json={"sku": "LAMP"})
    assert response.status_code == 422
    assert response.json["errors"] == {"price": ["The candidate has no target price: give the product's price."]}
    response = client.post(f"/api/v1/catalog/candidates/{candidate['id']}/promote",
                           json={"sku": "LAMP", "price": 2990})
    assert response.status_code == 201


def test_a_rejected_candidate_must_be_reopened_before_promotion(client):
    candidate = add(client, **STRONG)
    assert client.post(f"/api/v1/catalog/candidates/{candidate['id']}/reject", json={}).status_code == 200
    refused = client.post(f"/api/v1/catalog/candidates/{candidate['id']}/promote", json={"sku": "X"})
    assert refused.status_code == 409 and "reopen" in refused.json["message"]
    assert client.post(f"/api/v1/catalog/candidates/{candidate['id']}/reopen").json["status"] == "open"
    assert client.post(f"/api/v1/catalog/candidates/{candidate['id']}/promote", json={"sku": "X"}).status_code == 201
    assert client.delete(f"/api/v1/catalog/candidates/{candidate['id']}").status_code == 409


def test_another_store_cannot_see_candidates(app, client, db, user):
    other = create_store("other", "Other Store", owner=user)
    enable_plugin(app.extensions["shopdesk"], other, "catalog")
    db.session.commit()
    with use_store(other):
        secret = Candidate(name="Secret gadget", feedback_count=0, supplier="", notes="", status="open",
                           rejected_reason="")
        db.session.add(secret)
        db.session.commit()
        secret_id = secret.id
    assert client.get(f"/api/v1/catalog/candidates/{secret_id}").status_code == 404
    assert client.post(f"/api/v1/catalog/candidates/{secret_id}/promote", json={"sku": "S"}).status_code == 404
    assert client.get("/api/v1/catalog/candidates?status=all").json == []
    assert client.get(f"/s/acme/catalog/selection/{secret_id}").status_code == 404
    assert [c["id"] for c in client.get("/api/v1/catalog/candidates", headers={"Shopdesk-Store": "other"}).json] \
        == [secret_id]


# --- the pages -----------------------------------------------------------------------------


def test_the_page_ranks_candidates_and_shows_the_breakdown_with_missing_evidence(client):
    add(client, **STRONG)
    mug = add(client, name="Ceramic mug", supplier_cost=300, target_price=1000)
    page = client.get("/s/acme/catalog/selection/").get_data(as_text=True)
    assert page.index("Linen tote bag") < page.index("Ceramic mug")
    assert "80.2" in page and "Evidence for 30 % of the weight" in page
    detail = client.get(f"/s/acme/catalog/selection/{mug['id']}").get_data(as_text=True)
    assert 'id="score-breakdown"' in detail
    assert "missing" in detail and "counted as 0.5 (neutral)" in detail
    assert "$10.00" in detail  # the target price, in the store's currency


def test_a_candidate_is_recorded_and_promoted_from_the_pages(client, db, store):
    response = client.post("/s/acme/catalog/selection/new", data={
        "name": "Bamboo cutting board", "category_id": "0", "supplier": "GreenWood", "expected_demand": "120",
        "search_interest": "", "feedback_rating": "4.2", "feedback_count": "35", "supplier_cost": "6.50",
        "competitor_price": "", "target_price": "19.90", "notes": ""})
    assert response.status_code == 302
    with use_store(store):
        candidate = db.session.scalar(sa.select(Candidate).filter_by(name="Bamboo cutting board"))
        assert (candidate.supplier_cost, candidate.target_price, candidate.search_interest) == (650, 1990, None)
        candidate_id = candidate.id
    bad = client.post("/s/acme/catalog/selection/new", data={"name": "Pricey", "target_price": "1.999"})
    assert bad.status_code == 400 and "USD has 2 decimal place(s)" in bad.get_data(as_text=True)
    promoted = client.post(f"/s/acme/catalog/selection/{candidate_id}/promote",
                           data={"sku": "BOARD-BAM", "name": "Bamboo cutting board", "price": "21.90"})
    assert promoted.status_code == 302
    with use_store(store):
        product = db.session.scalar(sa.select(Product).filter_by(name="Bamboo cutting board"))
        assert [(v.sku, v.price, v.unit_cost) for v in product.variants] == [("BOARD-BAM", 2190, 650)]
        assert product.evidence["evidence"]["expected_demand"] == 120
        product_id = product.id
    again = client.post(f"/s/acme/catalog/selection/{candidate_id}/promote",
                        data={"sku": "BOARD-2", "name": "Bamboo cutting board", "price": "21.90"},
                        follow_redirects=True)
    assert "was already promoted" in again.get_data(as_text=True)
    assert "Promoted to a draft product" in again.get_data(as_text=True)
    assert f'href="/s/acme/catalog/products/{product_id}"' in again.get_data(as_text=True)


def test_a_candidate_is_rejected_and_reopened_from_its_page(client):
    candidate = add(client, **STRONG)
    page = client.post(f"/s/acme/catalog/selection/{candidate['id']}/reject", data={"reason": "Too bulky to ship"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Rejected." in page and "Too bulky to ship" in page
    assert "Linen tote bag" not in client.get("/s/acme/catalog/selection/").get_data(as_text=True)
    assert "Linen tote bag" in client.get("/s/acme/catalog/selection/?status=rejected").get_data(as_text=True)
    page = client.post(f"/s/acme/catalog/selection/{candidate['id']}/reopen", follow_redirects=True)
    assert "Promote to a product" in page.get_data(as_text=True)
    edit = client.get(f"/s/acme/catalog/selection/{candidate['id']}/edit").get_data(as_text=True)
    assert 'value="10.00"' in edit  # the target price, in major units


@pytest.mark.parametrize("page", ["/s/acme/catalog/selection/", "/s/acme/catalog/selection/new"])
def test_the_pages_need_a_signed_in_member(app, client, page):
    assert app.test_client().get(page).status_code in (302, 401, 404)


def test_the_product_page_shows_the_evidence_kept_at_promotion(client):
    candidate = add(client, **STRONG)
    product_id = client.post(f"/api/v1/catalog/candidates/{candidate['id']}/promote",
                             json={"sku": "TOTE-LIN"}).json["product_id"]
    html = client.get(f"/s/acme/catalog/products/{product_id}").get_data(as_text=True)
    assert "Score when promoted: 80.2 / 100" in html
    assert f'href="/s/acme/catalog/selection/{candidate["id"]}"' in html
    evidence = html[html.index('id="product-selection-evidence"'):]
    assert evidence[:evidence.index("</table>")].count("<tr") == 6  # the header and the five factors

"""Product pictures: uploaded, checked, thumbnailed, ordered, described and served per store."""

import io
from pathlib import Path

from PIL import Image

API = "/api/v1/catalog/products"


def product(client):
    return client.post(API, json={"name": "Stoneware Mug", "variants": [{"sku": "MUG-1"}]}).json["id"]


def upload(client, pid, data, name="mug.png", alt="", **headers):
    return client.post(f"{API}/{pid}/images", data={"file": (io.BytesIO(data), name), "alt": alt},
                       content_type="multipart/form-data", headers=headers)


def media(app, store):
    return Path(app.instance_path) / "media" / "catalog" / str(store.id)


def test_an_upload_is_stored_with_a_thumbnail_and_served(app, client, store, h):
    pid = product(client)
    made = upload(client, pid, h.picture("PNG", (800, 600)), alt="Mug on a table")
    assert made.status_code == 201, made.json
    image = made.json
    assert (image["width"], image["height"], image["content_type"], image["alt"]) == (
        800, 600, "image/png", "Mug on a table")
    assert sorted(p.suffix for p in media(app, store).iterdir()) == [".jpg", ".png"]

    full = client.get(image["url"])
    assert full.status_code == 200 and full.mimetype == "image/png"
    thumb = Image.open(io.BytesIO(client.get(image["thumbnail_url"]).data))
    assert max(thumb.size) == 320 and thumb.size == (320, 240)
    page = client.get(f"/s/acme/catalog/media/{image['id']}/thumb")
    assert page.status_code == 200


def test_jpeg_and_webp_are_accepted(client, h):
    pid = product(client)
    assert upload(client, pid, h.picture("JPEG"), "a.jpg").json["content_type"] == "image/jpeg"
    assert upload(client, pid, h.picture("WEBP"), "a.webp").json["content_type"] == "image/webp"


def test_what_is_not_a_picture_is_refused_naming_the_file_field(app, client, store, h):
    pid = product(client)
    fake = upload(client, pid, b"MZ\x90\x00 not an image at all", "photo.png")
    assert fake.status_code == 415
    assert fake.json["errors"] == {"file": ["Not an image Shopdesk can read: upload a JPEG, PNG or WebP file."]}
    gif = upload(client, pid, h.picture("GIF"), "anim.gif")
    assert gif.status_code == 415 and gif.json["message"].startswith("GIF images are not accepted")
    empty = client.post(f"{API}/{pid}/images", data={}, content_type="multipart/form-data")
    assert empty.status_code == 422 and empty.json["errors"] == {"file": ["Missing data for required field."]}
    assert client.get(f"{API}/{pid}/images").json == []
    assert not media(app, store).exists() or list(media(app, store).iterdir()) == []


def test_a_file_over_the_size_limit_is_refused(app, client, h):
    app.config["CATALOG_MAX_IMAGE_BYTES"] = 2000
    pid = product(client)
    big = upload(client, pid, h.picture("PNG", (600, 600)) + b"\0" * 3000)
    assert big.status_code == 413
    assert "images may be at most 2,000 bytes" in big.json["message"]


def test_images_are_reordered_and_their_alt_text_edited(client, h):
    pid = product(client)
    first, second, third = (upload(client, pid, h.picture()).json["id"] for _ in range(3))
    order = client.post(f"{API}/{pid}/images/order", json={"ids": [third, first, second]})
    assert [i["id"] for i in order.json] == [third, first, second]
    assert [i["id"] for i in client.get(f"{API}/{pid}/images").json] == [third, first, second]
    refused = client.post(f"{API}/{pid}/images/order", json={"ids": [third, first]})
    assert refused.status_code == 422 and "exactly once" in refused.json["errors"]["ids"][0]

    changed = client.patch(f"{API}/{pid}/images/{first}", json={"alt": "Oat glaze, side view"})
    assert changed.json["alt"] == "Oat glaze, side view"
    assert client.patch(f"{API}/{pid}/images/{first}", json={"alt": "x" * 301}).status_code == 422


def test_deleting_an_image_removes_its_files(app, client, store, db, h):
    pid = product(client)
    image = upload(client, pid, h.picture()).json
    assert len(list(media(app, store).iterdir())) == 2
    assert client.delete(f"{API}/{pid}/images/{image['id']}").status_code == 204
    assert list(media(app, store).iterdir()) == []
    assert client.get(image["url"]).status_code == 404
    actions = [e.action for e in h.audit_entries(db, store, "catalog.image")]
    assert actions == ["catalog.image.added", "catalog.image.deleted"]


def test_deleting_a_product_removes_its_image_files(app, client, store, h):
    pid = product(client)
    upload(client, pid, h.picture())
    assert client.delete(f"{API}/{pid}").status_code == 204
    assert list(media(app, store).iterdir()) == []


def test_another_stores_images_are_404(app, client, db, user, h):
    other = h.other_store(app, db, user)
    theirs = {"Shopdesk-Store": "other"}
    pid = client.post(API, json={"name": "Secret"}, headers=theirs).json["id"]
    image = upload(client, pid, h.picture(), **theirs).json
    assert client.get(image["url"]).status_code == 404
    assert client.get(f"/s/acme/catalog/media/{image['id']}/full").status_code == 404
    assert client.get(f"/s/other/catalog/media/{image['id']}/full").status_code == 200
    assert client.patch(f"{API}/{pid}/images/{image['id']}", json={"alt": "mine"}).status_code == 404
    assert client.delete(f"{API}/{pid}/images/{image['id']}").status_code == 404
    assert upload(client, pid, h.picture()).status_code == 404
    assert len(list(media(app, other).iterdir())) == 2


def test_the_product_page_uploads_reorders_and_deletes(app, client, store, h):
    pid = product(client)
    page_url = f"/s/acme/catalog/products/{pid}"
    sent = client.post(f"{page_url}/images", data={"file": (io.BytesIO(h.picture()), "a.png"), "alt": "front"},
                       content_type="multipart/form-data")
    assert sent.status_code == 302
    client.post(f"{page_url}/images", data={"file": (io.BytesIO(h.picture()), "b.png"), "alt": "back"},
                content_type="multipart/form-data")
    refused = client.post(f"{page_url}/images", data={"file": (io.BytesIO(b"text"), "c.png")},
                          content_type="multipart/form-data", follow_redirects=True)
    assert "Not an image Shopdesk can read" in refused.get_data(as_text=True)
    front, back = client.get(f"{API}/{pid}/images").json
    client.post(f"{page_url}/images/{back['id']}", data={"move": "up"})
    assert [i["alt"] for i in client.get(f"{API}/{pid}/images").json] == ["back", "front"]
    client.post(f"{page_url}/images/{front['id']}", data={"alt": "front, close-up"})
    html = client.get(page_url).get_data(as_text=True)
    assert 'alt="front, close-up"' in html
    client.post(f"{page_url}/images/{front['id']}/delete")
    assert [i["alt"] for i in client.get(f"{API}/{pid}/images").json] == ["back"]

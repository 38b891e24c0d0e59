"""Product pictures: stored in the instance folder under ``media/catalog/<store_id>/``.

An upload is opened with Pillow, so only real JPEG, PNG or WebP images are kept whatever
their name or declared type says; it is saved as uploaded with a thumbnail beside it. Files
are named by a random token, never by the uploader's file name. Images are served by a
permission-checked view that looks the row up in the current store first, so another store's
picture is a 404 like any missing one.
"""

import io
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from PIL import Image, UnidentifiedImageError

from shopdesk.plugin import audit, current_store_id, db

from .errors import CatalogError
from .models import Product, ProductImage

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MAX_BYTES = 5 * 1024 * 1024  # CATALOG_MAX_IMAGE_BYTES in the app config overrides it
MAX_PIXELS = 40_000_000  # a "decompression bomb" guard well above any real product photo
THUMBNAIL_SIZE = (320, 320)


def media_folder(store_id: int | None = None) -> Path:
    folder = Path(current_app.instance_path) / "media" / "catalog" / str(store_id or current_store_id.get())
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def max_bytes() -> int:
    return int(current_app.config.get("CATALOG_MAX_IMAGE_BYTES", MAX_BYTES))


def _open(data: bytes) -> Image.Image:
    if not data:
        raise CatalogError("The file is empty.", field="file")
    if len(data) > max_bytes():
        raise CatalogError(f"The file is {len(data):,} bytes; images may be at most {max_bytes():,} bytes.",
                           field="file", status=413)
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise CatalogError(f"The image is {image.width}×{image.height} pixels: too large.", field="file")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError) as exc:
        raise CatalogError("Not an image Shopdesk can read: upload a JPEG, PNG or WebP file.",
                           field="file", status=415) from exc
    if image.format not in FORMATS:
        raise CatalogError(f"{image.format} images are not accepted: upload a JPEG, PNG or WebP file.",
                           field="file", status=415)
    return image


def _thumbnail(image: Image.Image) -> bytes:
    thumb = image.copy()
    thumb.thumbnail(THUMBNAIL_SIZE)
    if thumb.mode not in ("RGB", "RGBA"):
        thumb = thumb.convert("RGBA" if "A" in thumb.getbands() or "transparency" in thumb.info else "RGB")
    out = io.BytesIO()
    thumb.save(out, "WEBP" if thumb.mode == "RGBA" else "JPEG", quality=85)
    return out.getvalue()


def add_image(product: Product, data: bytes, alt: str = "") -> ProductImage:
    """Check and store an upload with its thumbnail, last in the product's order; audited."""
    if len(alt or "") > 300:
        raise CatalogError("Longer than maximum length 300.", field="alt")
    image = _open(data)
    content_type, extension = FORMATS[image.format]
    token = secrets.token_hex(12)
    thumb_bytes = _thumbnail(image)
    thumb_ext = "webp" if thumb_bytes[:4] == b"RIFF" else "jpg"
    folder = media_folder(product.store_id)
    filename, thumbnail = f"{token}.{extension}", f"{token}.thumb.{thumb_ext}"
    position = (db.session.scalar(sa.select(sa.func.max(ProductImage.position))
                                  .filter_by(product_id=product.id)) or 0) + 1
    row = ProductImage(product_id=product.id, filename=filename, thumbnail=thumbnail, content_type=content_type,
                       width=image.width, height=image.height, alt=(alt or "").strip(), position=position)
    db.session.add(row)
    db.session.flush()
    (folder / filename).write_bytes(data)
    (folder / thumbnail).write_bytes(thumb_bytes)
    _remove_on_rollback(folder / filename, folder / thumbnail)
    audit.record("catalog.image.added", object_type="product_image", object_id=row.id,
                 after={"product_id": product.id, "filename": filename, "alt": row.alt,
                        "width": row.width, "height": row.height})
    return row


def _remove_on_rollback(*paths):
    """Files written for a transaction that then rolls back are removed with it."""
    session = db.session()
    pending = session.info.setdefault("catalog_new_files", [])
    pending.extend(paths)


def forget_new_files(session):
    session.info.pop("catalog_new_files", None)


def remove_new_files(session):
    for path in session.info.pop("catalog_new_files", []):
        Path(path).unlink(missing_ok=True)


def images_of(product_id: int) -> list[ProductImage]:
    return db.session.scalars(sa.select(ProductImage).filter_by(product_id=product_id)
                              .order_by(ProductImage.position, ProductImage.id)).all()


def set_alt(image: ProductImage, alt: str):
    alt = (alt or "").strip()
    if len(alt) > 300:
        raise CatalogError("Longer than maximum length 300.", field="alt")
    if alt != image.alt:
        audit.record("catalog.image.updated", object_type="product_image", object_id=image.id,
                     before={"alt": image.alt}, after={"alt": alt})
        image.alt = alt


def reorder(product: Product, ids: list[int]):
    """Put the product's images in this order; the list must name each of them once."""
    images = {image.id: image for image in images_of(product.id)}
    if sorted(ids) != sorted(images):
        raise CatalogError(f"Give every image of this product exactly once: {sorted(images)}.", field="ids")
    before = [image.id for image in sorted(images.values(), key=lambda i: (i.position, i.id))]
    for position, image_id in enumerate(ids, start=1):
        images[image_id].position = position
    if before != list(ids):
        audit.record("catalog.image.reordered", object_type="product", object_id=product.id,
                     before={"order": before}, after={"order": list(ids)})


def delete_image(image: ProductImage):
    """Delete the row now and its two files once the transaction commits."""
    audit.record("catalog.image.deleted", object_type="product_image", object_id=image.id,
                 before={"product_id": image.product_id, "filename": image.filename, "alt": image.alt})
    folder = media_folder(image.store_id)
    session = db.session()
    session.info.setdefault("catalog_deleted_files", []).extend([folder / image.filename, folder / image.thumbnail])
    db.session.delete(image)


def remove_deleted_files(session):
    for path in session.info.pop("catalog_deleted_files", []):
        Path(path).unlink(missing_ok=True)


def forget_deleted_files(session):
    session.info.pop("catalog_deleted_files", None)


def file_path(image: ProductImage, size: str) -> Path:
    return media_folder(image.store_id) / (image.thumbnail if size == "thumb" else image.filename)


def product_files(product: Product) -> list[Path]:
    """The files of a product's images (deleted with the product)."""
    folder = media_folder(product.store_id)
    return [folder / name for image in images_of(product.id) for name in (image.filename, image.thumbnail)]


def delete_files_after_commit(paths):
    db.session().info.setdefault("catalog_deleted_files", []).extend(paths)


def install_session_hooks():
    """After a commit: remove deleted images' files, keep new ones; after a rollback: the reverse."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if getattr(install_session_hooks, "done", False):
        return
    install_session_hooks.done = True

    @event.listens_for(Session, "after_commit")
    def _after_commit(session):
        remove_deleted_files(session)
        forget_new_files(session)

    @event.listens_for(Session, "after_soft_rollback")
    def _after_rollback(session, previous_transaction):
        if previous_transaction.parent is None:
            remove_new_files(session)
            forget_deleted_files(session)


install_session_hooks()

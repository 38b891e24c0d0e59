"""Plugin settings: validation by the plugin's marshmallow schema, resolution, secrets.

Stored values are the schema's dumped (JSON) form. Fields declared with
``metadata={"secret": True}`` are Fernet-encrypted at rest under the instance key and
shown masked; only the resolved settings handed to the plugin carry the clear value.
"""

import json
import logging
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from marshmallow import ValidationError, missing

log = logging.getLogger(__name__)

MASK = "********"
_ENCRYPTED = "$encrypted"


def read_or_create(path: Path, make) -> bytes:
    """The content of an instance secret file, written with ``make()`` if it does not exist.

    Several processes start at once (gunicorn workers on a fresh instance): the file is
    written under a temporary name and linked into place, which fails if another process
    got there first, so every process reads the same complete value.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        draft.write_bytes(make())
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_bytes().strip()


def load_or_create_key(path: Path) -> bytes:
    """The instance's settings key: generated once, never committed (instance/ is ignored)."""
    return read_or_create(path, Fernet.generate_key)


def _fernet() -> Fernet:
    return Fernet(current_app.config["SHOPDESK_SETTINGS_KEY"])


def secret_fields(schema_cls) -> set[str]:
    return {name for name, f in schema_cls().fields.items() if f.metadata.get("secret")}


def _encrypt(value) -> dict:
    return {_ENCRYPTED: _fernet().encrypt(json.dumps(value).encode()).decode()}


def _decrypt(value):
    if isinstance(value, dict) and set(value) == {_ENCRYPTED}:
        try:
            return json.loads(_fernet().decrypt(value[_ENCRYPTED].encode()))
        except InvalidToken:
            raise ValueError("a secret setting cannot be decrypted: the instance key changed") from None
    return value


def decrypt_all(stored: dict) -> dict:
    return {k: _decrypt(v) for k, v in (stored or {}).items()}


def merge_for_storage(schema_cls, stored: dict, changes: dict) -> dict:
    """Validate ``changes`` on top of what is stored; return the new stored form.

    Raises marshmallow's ValidationError (messages keyed by field) before anything changes.
    """
    candidate = {**decrypt_all(stored), **changes}
    schema = schema_cls()
    dumped = schema.dump(schema.load(candidate))
    secrets = secret_fields(schema_cls)
    return {
        key: _encrypt(dumped[key]) if key in secrets else dumped[key]
        for key in candidate
        if key in dumped
    }


def resolve(schema_cls, global_stored: dict, store_stored: dict) -> dict:
    """Store value, else global value, else the schema default; typed by the schema."""
    candidate = {**decrypt_all(global_stored), **decrypt_all(store_stored)}
    try:
        return schema_cls().load(candidate)
    except ValidationError as err:
        # A stored value the (upgraded) schema no longer accepts falls back to its default.
        log.warning("ignoring invalid stored settings %s", err.messages)
        bad = set(err.messages)
        return schema_cls().load({k: v for k, v in candidate.items() if k not in bad})


def masked(schema_cls, values: dict) -> dict:
    secrets = secret_fields(schema_cls)
    return {k: (MASK if v else "") if k in secrets else v for k, v in values.items()}


def describe(schema_cls) -> list[dict]:
    """One entry per setting (name, type, default, secret, help): for forms and `plugins show`."""
    out = []
    for name, f in schema_cls().fields.items():
        default = None if f.load_default is missing or callable(f.load_default) else f.load_default
        out.append({
            "name": name,
            "type": type(f).__name__,
            "default": default,
            "secret": bool(f.metadata.get("secret")),
            "help": f.metadata.get("description", ""),
            "required": f.required,
        })
    return out

"""Input that Python accepts but the database or the API's own schema does not, refused at the door.

Two layers, both installed once for every blueprint (the host's and every plugin's):

* ``check_request`` (a ``before_request``): a NUL character (0x00, which PostgreSQL cannot
  store) in a query argument, form field, URL part or the ``Shopdesk-Store`` header; in a JSON
  body also a lone UTF-16 surrogate (``"\\ud800"``, which no UTF-8 column holds), nesting deeper
  than ``MAX_JSON_DEPTH`` and malformed JSON. API calls get 422 naming the field (400 for the
  body as a whole) in the one error format; pages get a 400 page.
* ``StrictParser`` (flask-smorest's argument parser): a JSON value must have the JSON type the
  schema declares, as the OpenAPI spec says: an integer field takes no ``1.5`` nor ``"1"`` (which
  marshmallow would truncate or convert), a boolean field no ``"yes"`` or ``1``; an integer fits a
  signed 64-bit column; a date-time's UTC value stays inside years 1-9999. Query strings keep
  marshmallow's conversions (``?active=true``, ``?page=2`` are text by nature). A page number
  whose offset (page x page_size) passes 64 bits is refused naming ``page``.
"""

import datetime as dt
import json
import re

import flask_smorest
import marshmallow as ma
from flask import abort, g, request
from flask_babel import gettext
from flask_smorest import abort as api_abort
from marshmallow import fields
from webargs.flaskparser import FlaskParser, is_json_request

MAX_JSON_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_NUL = re.compile("\x00")


def install(app):
    """Check every request, and make every flask-smorest blueprint parse strictly.

    Blueprints bind flask-smorest's one shared parser when their views are decorated (at
    import, before any app exists), so the shared parsers become the strict kinds in place."""
    for parser, strict in ((flask_smorest.Blueprint.ARGUMENTS_PARSER, StrictParser),
                           (flask_smorest.Blueprint.PAGINATION_ARGUMENTS_PARSER, PageParser)):
        if type(parser) is FlaskParser:
            parser.__class__ = strict
    app.before_request(check_request)


# --- the request as a whole -----------------------------------------------------------------


def _refuse(field: str, message: str, status: int = 422):
    if request.path.startswith("/api/"):
        api_abort(status, message=f"{field}: {message}", errors={field: [message]})
    abort(400, description=f"{field}: {message}")


def _nul_message():
    return gettext("Must not contain the NUL character (0x00).")


def check_request():
    for source, values in (("query", request.args), ("form", request.form)):
        for key, value in values.items(multi=True):
            if _NUL.search(key) or _NUL.search(value):
                _refuse(key.replace("\x00", "\\x00"), _nul_message())
    for key, value in {**(request.view_args or {}), "store": g.get("store_slug") or ""}.items():
        if isinstance(value, str) and _NUL.search(value):
            _refuse(key, _nul_message())
    if _NUL.search(request.headers.get("Shopdesk-Store", "")):
        _refuse("Shopdesk-Store", _nul_message())
    if is_json_request(request) and request.content_length != 0:
        _check_json_body()


def _check_json_body():
    raw = request.get_data(cache=True)
    if not raw.strip():
        return
    try:
        body = json.loads(raw)
    except RecursionError:
        _refuse("body", gettext("JSON nested too deeply."), 400)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        _refuse("body", gettext("Invalid JSON body."), 400)
    problem = bad_json_value(body)
    if problem is not None:
        field, message = problem
        _refuse(field, message, 400 if message == gettext("JSON nested too deeply.") else 422)


def bad_json_value(body):
    """(field path, message) of the first text no column can hold, or of nesting too deep."""
    stack = [(body, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return path or "body", gettext("JSON nested too deeply.")
        if isinstance(value, str):
            items = ()
            problem = _text_problem(value)
        elif isinstance(value, dict):
            items = value.items()
            problem = next((_text_problem(key) for key in value if _text_problem(key)), None)
        elif isinstance(value, list):
            items = enumerate(value)
            problem = None
        else:
            continue
        if problem:
            return path or "body", problem
        for key, item in items:
            stack.append((item, f"{path}.{key}" if path else str(key), depth + 1))
    return None


def _text_problem(text: str):
    found = _BAD_TEXT.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return _nul_message()
    return gettext("Must not contain a lone UTF-16 surrogate (\\ud800-\\udfff).")


# --- JSON values against the schema ------------------------------------------------------------


class StrictParser(FlaskParser):
    """flask-smorest's parser, checking JSON types against the schema before marshmallow loads."""

    def pre_load(self, location_data, *, schema, req, location):
        if location == "json":
            errors = strict_errors(schema, location_data)
        else:  # text by nature: only the dates, which parse but leave the calendar in UTC
            dates = {field.data_key or name: field for name, field in schema.fields.items()
                     if isinstance(field, fields.DateTime)}
            errors = {key: error for key, field in dates.items() if isinstance(location_data.get(key), str)
                      and (error := _date_error(field, location_data[key]))}
        if errors:  # with marshmallow's own findings on the other fields, so every field is named at once
            rest = {key: value for key, value in location_data.items() if key not in errors}
            raise ma.ValidationError({**schema.validate(rest), **errors})
        return location_data


def strict_errors(schema, data) -> dict:
    """marshmallow-shaped errors ({field: [message]}, nested for nested fields) for values of
    the wrong JSON type, integers beyond 64 bits and date-times beyond year 9999 in UTC."""
    if not isinstance(data, dict):
        return {}  # marshmallow says "Invalid input type"
    errors = {}
    for name, field in schema.fields.items():
        key = field.data_key or name
        if field.dump_only or key not in data:
            continue
        error = _value_error(field, data[key])
        if error:
            errors[key] = error
    return errors


def _value_error(field, value):
    if value is None:
        return None  # allow_none is marshmallow's to judge
    if isinstance(field, fields.Integer):
        if not isinstance(value, int) or isinstance(value, bool):
            return [gettext("Not a valid integer.")]
        if not INT64_MIN <= value <= INT64_MAX:
            return [gettext("Must be between %(low)s and %(high)s.", low=INT64_MIN, high=INT64_MAX)]
    elif isinstance(field, fields.Boolean):
        if not isinstance(value, bool):
            return [gettext("Not a valid boolean.")]
    elif isinstance(field, fields.Number):
        if isinstance(value, bool) or (isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX):
            return [gettext("Not a valid number.")]
    elif isinstance(field, fields.DateTime) and isinstance(value, str):
        return _date_error(field, value)
    elif isinstance(field, fields.Nested) and isinstance(field.schema, ma.Schema):
        if field.many and isinstance(value, list):
            return _items_errors(value, lambda item: strict_errors(field.schema, item) or None)
        return strict_errors(field.schema, value) or None
    elif isinstance(field, fields.List) and isinstance(value, list):
        return _items_errors(value, lambda item: _value_error(field.inner, item))
    elif isinstance(field, fields.Dict) and isinstance(value, dict) and field.value_field is not None:
        errors = {key: {"value": error} for key, item in value.items()
                  if (error := _value_error(field.value_field, item))}
        return errors or None
    return None


def _items_errors(items, check):
    errors = {index: error for index, item in enumerate(items) if (error := check(item))}
    return errors or None


def _date_error(field, value):
    try:
        moment = field._deserialize(value, None, None)
    except ma.ValidationError:
        return None  # marshmallow's own message
    if isinstance(moment, dt.datetime) and moment.tzinfo is not None:
        try:
            moment.astimezone(dt.timezone.utc)
        except OverflowError:
            return [gettext("Must fall between years 1 and 9999 in UTC.")]
    return None


class PageParser(FlaskParser):
    """flask-smorest's pagination parser, refusing a page whose row offset passes 64 bits
    (the database's OFFSET; SQLite and PostgreSQL fail on it rather than answer an empty page)."""

    def pre_load(self, location_data, *, schema, req, location):
        try:
            page = int(location_data.get("page", 1))
            size = int(location_data.get("page_size", schema.fields["page_size"].load_default))
        except (TypeError, ValueError, KeyError):
            return location_data  # marshmallow's message
        if page > 1 and size > 0 and (page - 1) * size > INT64_MAX:
            raise ma.ValidationError({"page": [gettext("Too large: page x page_size must stay below 2^63.")]})
        return location_data

"""Listing: a list's filters, sort and pages, declared once for its API route and its page.

The API route reads the query with ``@blp.arguments(listing.schema, location="query")`` and
``@paginate(blp)``, and answers ``listing.api_page(query, pagination_parameters)``; the page
calls ``listing.html_page()``, which reads the same filters from ``request.args`` (a bad
value is flashed and dropped, the list still shows), pages by ``?page=`` and gives the links
for ``shell/_pager.html``. Both sort through the same ``sorts`` columns, so the page and
the API cannot disagree about what a filter means.

Example::

    notes = Listing(schema=NoteQuery, select=lambda q: sa.select(Note).where(...),
                    sorts={"updated_at": Note.updated_at, "id": Note.id}, endpoint="notes.index")

    @api.route("")
    class Notes(MethodView):
        @api.arguments(NoteQuery, location="query")
        @api.response(200, NoteSchema(many=True))
        @paginate(api)
        def get(self, query, pagination_parameters):
            return notes.api_page(query, pagination_parameters)

    @bp.route("/")
    def index():
        return render_template("notes/index.html", page=notes.html_page())
"""

from dataclasses import dataclass, field
from typing import Any, Callable

from flask import flash, request, url_for
from marshmallow import ValidationError


@dataclass
class Page:
    """One page of an HTML list: its rows, where it is, and the links around it."""

    rows: list
    number: int
    pages: int
    total: int
    filters: dict = field(default_factory=dict)  # the query string as the user gave it (without page)
    sort: str = ""
    newer: str | None = None
    older: str | None = None


@dataclass
class Listing:
    """A list's filters (a marshmallow schema with a ``sort`` field), its select and its sort columns."""

    schema: type  # marshmallow schema of the filters and a ``sort`` field (api.sort_argument)
    select: Callable[[dict], Any]  # the loaded filters -> a select of the rows
    sorts: dict  # sort name -> column; must hold "id", which breaks ties
    endpoint: str | None = None  # the HTML list's endpoint, for its page links
    page_size: int = 25

    def __post_init__(self):
        if "id" not in self.sorts:
            raise ValueError("Listing.sorts must hold 'id' (it breaks ties between equal rows)")

    def api_page(self, query: dict, pagination) -> list:
        """The rows of one API page (``@paginate`` fills ``pagination``; cursors included)."""
        from ..api import page_of

        return page_of(self.select(query), pagination, query.get("sort") or "id", self.sorts)

    def load(self, args) -> tuple[dict, dict]:
        """(filters, errors) from a query string: bad values are dropped and reported."""
        raw = {key: value for key, value in args.items() if value != "" and key != "page"}
        schema = self.schema()
        try:
            return schema.load({k: v for k, v in raw.items() if k in schema.fields}), {}
        except ValidationError as exc:
            errors = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
            kept = {k: v for k, v in raw.items() if k in schema.fields and k not in errors}
            return schema.load(kept), errors

    def html_page(self, args=None, **url_values) -> Page:
        """The requested page of the list; ``url_values`` go into the page links (path values)."""
        from ..ui import page_of_rows

        args = request.args if args is None else args
        filters, errors = self.load(args)
        if errors:
            flash("; ".join(f"{name}: {' '.join(map(str, messages))}" for name, messages in errors.items()),
                  "danger")
        sort = filters.get("sort") or "id"
        name = sort.lstrip("-")
        columns = [self.sorts[name]] + ([self.sorts["id"]] if name != "id" else [])
        order = [c.desc() if sort.startswith("-") else c.asc() for c in columns]
        rows, number, pages, total = page_of_rows(self.select(filters), _page_number(args), self.page_size, *order)
        given = {k: v for k, v in args.items() if v != "" and k != "page" and k not in errors}

        def link(page_number):
            if self.endpoint is None:
                return None
            return url_for(self.endpoint, **url_values, **given, **({"page": page_number} if page_number > 1 else {}))

        return Page(rows=rows, number=number, pages=pages, total=total, filters=given, sort=sort,
                    newer=link(number - 1) if number > 1 else None,
                    older=link(number + 1) if number < pages else None)


def _page_number(args) -> int:
    raw = str(args.get("page", "1"))
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else 1

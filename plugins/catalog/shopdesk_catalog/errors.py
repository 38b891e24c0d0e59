"""The one error the catalog's services raise, so the API and the pages word refusals alike.

A service refuses with :class:`CatalogError` naming the field (``"variants.1.sku"``) and the
HTTP status the API answers with: 422 for input that can never be right, 409 for input that
clashes with what is stored (a SKU another product uses, a category that still has children).
"""


class CatalogError(ValueError):
    def __init__(self, message: str, *, field: str | None = None, status: int = 422, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status
        self.code = code or ("conflict" if status == 409 else None)

    def errors(self) -> dict:
        """The message under its field, nested like marshmallow's (``variants.1.sku``)."""
        if not self.field:
            return {}
        tree: dict = {}
        node = tree
        parts = self.field.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = [self.message]
        return tree


def api_refuse(exc: CatalogError):
    """Answer an API call with the host's error format (flask-smorest ``abort``)."""
    from flask_smorest import abort

    extra = {"code": exc.code} if exc.code else {}
    abort(exc.status, message=exc.message, errors=exc.errors(), **extra)

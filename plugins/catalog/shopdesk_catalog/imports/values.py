"""Reading and writing single cell values of a product file: money, whole numbers, options,
dimensions, tags, category paths. Each reader raises :class:`BadValue` with a message a
person can act on; the importer files it under the row's line and the column's name.

These run once per cell for 100,000-row files, so they are plain string work, no regexes
where a split does, and the readers are cached: a file repeats its sizes, categories and
prices thousands of times.
"""

from decimal import Decimal
from functools import lru_cache

from babel.numbers import get_currency_precision

CATEGORY_SEPARATOR = ">"
LIST_SEPARATOR = ";"


class BadValue(ValueError):
    pass


@lru_cache(maxsize=32)
def precision(currency: str) -> int:
    return get_currency_precision(currency)


def text(value) -> str:
    """A cell as trimmed text (XLSX gives numbers, dates and None; CSV gives strings)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    return str(value).strip()


@lru_cache(maxsize=8192)
def parse_money(raw: str, currency: str) -> int:
    """'12.90' in USD is 1290 minor units. Refuses negatives, words and extra decimals."""
    places = precision(currency)
    whole, dot, fraction = raw.partition(".")
    if whole.startswith("-"):
        raise BadValue("Must not be negative.")
    if not whole.isdigit() and not (dot and whole == "" and fraction):
        raise BadValue(f"'{raw}' is not an amount: use digits and a decimal point, such as 12.90.")
    if dot and not fraction.isdigit():
        raise BadValue(f"'{raw}' is not an amount: use digits and a decimal point, such as 12.90.")
    if len(fraction) > places:
        if fraction[places:].strip("0"):
            raise BadValue(f"{currency} has {places} decimal place(s); '{raw}' has {len(fraction)}.")
        fraction = fraction[:places]
    if len(whole) > 13:
        raise BadValue(f"'{raw}' is too large.")
    return int(whole or "0") * 10**places + int((fraction or "0").ljust(places, "0") or "0")


def format_money(amount: int, currency: str) -> str:
    """1290 minor units of USD is '12.90' (no symbol, no grouping: it must read back)."""
    places = precision(currency)
    if places == 0:
        return str(amount)
    return str(Decimal(amount).scaleb(-places).quantize(Decimal(1).scaleb(-places)))


def parse_count(raw: str, unit: str = "") -> int:
    """A whole number, 0 or more ('250', or '250.0' as spreadsheets write it)."""
    value = raw.removesuffix(".0")
    if not value.isdigit():
        raise BadValue(f"'{raw}' is not a whole number{' of ' + unit if unit else ''}.")
    if len(value) > 9:
        raise BadValue(f"'{raw}' is too large.")
    return int(value)


@lru_cache(maxsize=8192)
def parse_dimensions(raw: str) -> tuple[int, int, int]:
    """'300x200x10' (length x width x height, millimetres)."""
    parts = raw.lower().replace("×", "x").replace(" ", "").split("x")
    if len(parts) != 3:
        raise BadValue(f"'{raw}' is not length x width x height in millimetres, such as 300x200x10.")
    try:
        return tuple(parse_count(part, "millimetres") for part in parts)
    except BadValue as exc:
        raise BadValue(f"'{raw}' is not length x width x height in millimetres, such as 300x200x10.") from exc


def format_dimensions(length, width, height) -> str:
    if length is None and width is None and height is None:
        return ""
    return f"{length or 0}x{width or 0}x{height or 0}"


@lru_cache(maxsize=8192)
def parse_options(raw: str) -> dict[str, str]:
    """'size=M;colour=navy' is {"size": "M", "colour": "navy"} (order kept: it orders the axes).

    Cached, so the dict is shared: callers must not change it."""
    options = {}
    for part in raw.split(LIST_SEPARATOR):
        if not part.strip():
            continue
        key, equals, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key or not value:
            raise BadValue(f"'{part.strip()}' is not name=value (write options as size=M;colour=navy).")
        if key in options:
            raise BadValue(f"'{key}' is given twice.")
        if len(key) > 60 or len(value) > 120:
            raise BadValue(f"'{part.strip()}' is too long (names up to 60 characters, values up to 120).")
        options[key] = value
    return options


def format_options(options: dict, axes: list) -> str:
    ordered = [axis for axis in axes if axis in options] + [key for key in options if key not in axes]
    return LIST_SEPARATOR.join(f"{key}={options[key]}" for key in ordered)


@lru_cache(maxsize=8192)
def parse_names(raw: str, limit: int = 60) -> tuple[str, ...]:
    """'summer;cotton' is ("summer", "cotton"): tags, each once, in order."""
    names = []
    for part in raw.split(LIST_SEPARATOR):
        name = part.strip()
        if not name:
            continue
        if len(name) > limit:
            raise BadValue(f"'{name[:20]}…' is longer than {limit} characters.")
        if name not in names:
            names.append(name)
    return tuple(names)


@lru_cache(maxsize=8192)
def parse_category_path(raw: str) -> tuple[str, ...]:
    """'Apparel > T-shirts' is ("Apparel", "T-shirts"); the path from the top of the tree."""
    path = tuple(part.strip() for part in raw.replace("›", CATEGORY_SEPARATOR).split(CATEGORY_SEPARATOR))
    if any(not part for part in path):
        raise BadValue(f"'{raw}' has an empty level: write it as Apparel > T-shirts.")
    if any(len(part) > 120 for part in path):
        raise BadValue("A category name is longer than 120 characters.")
    return path


def format_category_path(path: tuple[str, ...]) -> str:
    return f" {CATEGORY_SEPARATOR} ".join(path)

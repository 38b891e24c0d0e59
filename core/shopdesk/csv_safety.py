"""CSV cells a spreadsheet cannot run as formulas, and their way back on import.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return as a formula, so a product name or a typed email such as
``=HYPERLINK("http://evil")`` in an export becomes a live link or worse. Following OWASP, such
text cells are written with a leading single quote, which spreadsheets show as text; plain
numbers ("-5", "-12.50") are left alone so they still read as numbers. A cell that already
starts with quotes before one of those characters gets one more, so :func:`restore` (one quote
off) gives back exactly what was exported. XLSX needs none of this: its cells are typed.
"""

import csv
import re

_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise(value):
    """``value`` with a leading ``'`` if a spreadsheet would take it for a formula; others as they are."""
    if isinstance(value, str) and _FORMULA_START.match(value) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore(value):
    """The inverse of :func:`neutralise`, for a cell read from a CSV file."""
    if isinstance(value, str) and value.startswith("'") and _FORMULA_START.match(value, 1):
        return value[1:]
    return value


def restore_row(row) -> list:
    return [restore(cell) for cell in row]


class _Writer:
    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, row):
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(out, **options) -> _Writer:
    """A ``csv.writer`` whose every cell goes through :func:`neutralise`: use it for every CSV export."""
    return _Writer(out, **options)

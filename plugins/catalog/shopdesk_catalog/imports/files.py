"""Product files on disk: CSV (UTF-8, comma-separated) and XLSX (the first sheet), read as rows
of text cells and written from rows of values.

Line numbers are what a spreadsheet shows: the header is line 1, the first product row line 2,
for CSV and XLSX alike (a CSV cell spanning several lines still counts as one row).

CSV cells that a spreadsheet would run as formulas are written with a leading ``'`` and read
back without it (:mod:`shopdesk.csv_safety`), so an exported file imports unchanged.
"""

import csv
import io
from pathlib import Path
from typing import Iterable, Iterator

from shopdesk.plugin import csv_safety

FORMATS = ("csv", "xlsx")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UnreadableFile(ValueError):
    """The file is not a CSV/XLSX we can read; the message says why."""


def format_of(filename: str) -> str:
    """'csv' or 'xlsx' from the file's name; anything else is refused."""
    suffix = Path(filename or "").suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise UnreadableFile(f"'{filename}' is neither a .csv nor a .xlsx file.")
    return suffix


def read_rows(source, file_format: str) -> Iterator[list]:
    """Every row of the file (the header first) as a list of cells; XLSX cells keep their type.
    ``source`` is the file's path, or its bytes (an upload read in one go)."""
    if file_format == "csv":
        return _read_csv(source)
    return _read_xlsx(source)


def _read_csv(source) -> Iterator[list]:
    try:
        if isinstance(source, bytes):
            text = io.StringIO(source.decode("utf-8-sig"), newline="")
            yield from map(csv_safety.restore_row, csv.reader(text))
            return
        with Path(source).open(encoding="utf-8-sig", newline="") as handle:
            yield from map(csv_safety.restore_row, csv.reader(handle))
    except UnicodeDecodeError as exc:
        raise UnreadableFile("The file is not UTF-8 text: save it as “CSV UTF-8” and try again.") from exc
    except OSError as exc:
        raise UnreadableFile("The file cannot be read (it may have been removed): upload it again.") from exc
    except csv.Error as exc:
        raise UnreadableFile(f"The file is not a readable CSV file: {exc}.") from exc


def _read_xlsx(source) -> Iterator[list]:
    from openpyxl import load_workbook

    if not isinstance(source, bytes) and not Path(source).is_file():
        raise UnreadableFile("The file cannot be read (it may have been removed): upload it again.")
    try:
        book = load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source,
                             read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, InvalidFileException...: all "unreadable"
        raise UnreadableFile("The file is not a readable XLSX workbook.") from exc
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        book.close()


def count_rows(path, file_format: str) -> int:
    """How many product rows (not counting the header) the file has, cheaply."""
    if file_format == "xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True)
            rows = book.worksheets[0].max_row or 0
            book.close()
        except Exception as exc:
            raise UnreadableFile("The file is not a readable XLSX workbook.") from exc
        return max(rows - 1, 0)
    try:
        with Path(path).open("rb") as handle:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except OSError as exc:
        raise UnreadableFile("The file cannot be read (it may have been removed): upload it again.") from exc
    return max(lines - 1, 0)


def write_csv(rows: Iterable[list], out) -> None:
    """Write rows to a binary stream as UTF-8 CSV with a byte-order mark (so Excel reads Chinese),
    formulas neutralised."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv_safety.writer(text)
    writer.writerows(rows)
    text.flush()
    text.detach()


def write_xlsx(rows: Iterable[list], out, sheet_title: str = "Products") -> None:
    """Write rows to a binary stream as an XLSX workbook with one sheet (streamed, low memory)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title)

    def as_text(value):  # a name starting with "=" is text, never a formula Excel would run
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell

    for row in rows:
        sheet.append([as_text(v) if isinstance(v, str) and v.startswith("=") else v for v in row])
    book.save(out)

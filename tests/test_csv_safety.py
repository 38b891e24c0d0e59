"""CSV cells a spreadsheet would run as formulas are exported as text and imported back as typed."""

import csv
import io
from decimal import Decimal

import pytest

from shopdesk import csv_safety


@pytest.mark.parametrize("typed, written", [
    ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
    ("+cmd", "'+cmd"), ("-dash", "'-dash"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-", "'-"), ("'=quoted", "''=quoted"), ("'-5", "''-5"),
    ("-5", "-5"), ("-12.50", "-12.50"), ("+3", "+3"), ("1e-3", "1e-3"), ("plain", "plain"), ("'plain", "'plain"),
    ("", ""), (-5, -5), (Decimal("-12.50"), Decimal("-12.50")), (None, None),
])
def test_a_cell_is_written_as_text_only_when_it_would_run_and_reads_back_as_typed(typed, written):
    assert csv_safety.neutralise(typed) == written
    assert csv_safety.restore(written) == typed


def test_the_writer_neutralises_every_cell():
    out = io.StringIO()
    csv_safety.writer(out).writerows([["=1+1", -5, "-5"], ["@x", "ok", "-1.5"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=1+1", "-5", "-5"], ["'@x", "ok", "-1.5"]]

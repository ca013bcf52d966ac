"""Tables as CSV and XLSX, safe to open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) could be
run as a formula by Excel or LibreOffice; such text is prefixed with an apostrophe unless it is
a plain number (``-0.55`` stays a number).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["safe_cell", "write_csv", "write_xlsx"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """``text`` unchanged, or with a leading apostrophe if a spreadsheet could run it."""
    if not text.startswith(_TRIGGERS):
        return text
    try:
        float(text)
    except ValueError:
        return "'" + text
    return text


def write_csv(rows: Sequence[Sequence[str]], path: Path) -> None:
    """UTF-8 CSV (with BOM so Excel reads accents), every cell made safe."""
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        for row in rows:
            writer.writerow([safe_cell(str(c)) for c in row])


def write_xlsx(sheets: Mapping[str, Sequence[Sequence[str]]], path: Path) -> None:
    """One worksheet per entry of ``sheets`` (names cut to Excel's 31 characters)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(title=_sheet_name(name))
        for row in rows:
            sheet.append([safe_cell(str(c)) for c in row])
        for cells in sheet.iter_rows():
            for c in cells:
                c.data_type = "s"  # never a formula, whatever the text
    book.save(path)


def _sheet_name(name: str) -> str:
    for bad in '[]:*?/\\':
        name = name.replace(bad, " ")
    return name[:31] or "Sheet"

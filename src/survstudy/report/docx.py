"""The report as a Word document with real Word tables (journals and co-authors edit Word)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from survstudy.report.document import Document, Figure, Paragraph, Section, Table

__all__ = ["write_docx"]

_ALIGN = {"left": 0, "center": 1, "right": 2}


def _border(cell: Any, edge: str, size: int) -> None:
    """Give a cell a single-line border on one edge (size in eighths of a point)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    props = cell._tc.get_or_add_tcPr()
    borders = props.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        props.append(borders)
    line = OxmlElement(f"w:{edge}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size))
    line.set(qn("w:color"), "000000")
    borders.append(line)


def _column_widths(table: Table, ncols: int, usable: int, points: float) -> list[int]:
    """Column widths (EMU) fitting the text: no column narrower than its longest word, the
    rest of the page shared by how much longer each column's text is than that."""
    emu_per_char, padding = int(points / 72 * 0.58 * 914400), int(0.16 * 914400)
    shortest = [2] * ncols
    wanted = [2] * ncols
    for r, row in enumerate((*table.header, *table.rows)):
        col = 0
        for c in row:
            if c.colspan == 1:
                word = max((len(w) for w in c.text.split()), default=0) + 2 * c.indent
                if r < len(table.header):  # a long header word may break before a value does
                    word = min(word, 9)
                shortest[col] = max(shortest[col], word)
                whole = word if r < len(table.header) else min(len(c.text), 40)
                wanted[col] = max(wanted[col], whole)
            col += c.colspan
    low = [n * emu_per_char + padding for n in shortest]
    high = [max(w, n) * emu_per_char + padding for w, n in zip(wanted, shortest, strict=True)]
    if sum(high) <= usable:
        spare = (usable - sum(high)) / ncols
        return [int(h + spare) for h in high]
    if sum(low) >= usable:
        return [int(w * usable / sum(low)) for w in low]
    share = (usable - sum(low)) / (sum(high) - sum(low))
    return [int(lo + (hi - lo) * share) for lo, hi in zip(low, high, strict=True)]


def _set_width(cell: Any, width: Any) -> None:
    cell.width = width


def _landscape(document: Any, on: bool) -> None:
    """Start a new section in landscape (``on``) or portrait orientation."""
    from docx.enum.section import WD_ORIENT, WD_SECTION

    current = document.sections[-1]
    if (current.orientation == WD_ORIENT.LANDSCAPE) == on:
        return
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if on else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = section.page_height, section.page_width


def _table(document: Any, table: Table) -> None:
    from docx.shared import Pt

    wide = max(sum(c.colspan for c in row) for row in (*table.header, *table.rows)) > 8
    if wide:
        _landscape(document, True)
    caption = document.add_paragraph()
    run = caption.add_run(table.title)
    run.bold = True
    grid = [*table.header, *table.rows]
    ncols = max(sum(c.colspan for c in row) for row in grid)
    out = document.add_table(rows=len(grid), cols=ncols)
    out.autofit = False
    section = document.sections[-1]
    usable = section.page_width - section.left_margin - section.right_margin
    points = 7.5 if wide else 9.0
    for col, width in enumerate(_column_widths(table, ncols, usable, points)):
        out.columns[col].width = width  # the table grid, which LibreOffice and Word read
        for r in range(len(grid)):
            _set_width(out.cell(r, col), width)
    for r, row in enumerate(grid):
        col = 0
        for c in row:
            target = out.cell(r, col)
            if c.colspan > 1:
                target = target.merge(out.cell(r, col + c.colspan - 1))
            para = target.paragraphs[0]
            para.alignment = _ALIGN[c.align]
            para.paragraph_format.space_after = Pt(1)
            para.paragraph_format.space_before = Pt(1)
            if c.indent:
                para.paragraph_format.left_indent = Pt(9 * c.indent)
            text = para.add_run(c.text)
            text.font.size = Pt(points)
            text.bold = c.bold or r < len(table.header)
            col += c.colspan
    # three-line journal style: rule above and below the header, rule under the last row
    for col in range(ncols):
        _border(out.cell(0, col), "top", 12)
        _border(out.cell(len(table.header) - 1, col), "bottom", 6)
        _border(out.cell(len(grid) - 1, col), "bottom", 12)
    for note in table.footnotes:
        para = document.add_paragraph()
        run = para.add_run(note)
        run.font.size = Pt(8)
        run.italic = True
    if wide:
        _landscape(document, False)


def _figure(document: Any, figure: Figure) -> None:
    from docx.shared import Cm, Pt

    document.add_picture(io.BytesIO(figure.png), width=Cm(16))
    para = document.add_paragraph()
    run = para.add_run(figure.caption)
    run.font.size = Pt(9)


def _blocks(document: Any, section: Section, level: int) -> None:
    document.add_heading(section.title, level=level)
    for block in section.blocks:
        if isinstance(block, Section):
            _blocks(document, block, min(level + 1, 4))
        elif isinstance(block, Paragraph):
            para = document.add_paragraph(block.text)
            if block.kind != "text":
                for run in para.runs:
                    run.italic = True
        elif isinstance(block, Table):
            _table(document, block)
        elif isinstance(block, Figure):
            _figure(document, block)


def write_docx(doc: Document, path: Path) -> None:
    """Write ``doc`` as a .docx file at ``path``."""
    import docx
    from docx.shared import Pt

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    document.add_heading(doc.title, level=0)
    document.add_paragraph(doc.subtitle)
    for section in doc.sections:
        _blocks(document, section, 1)
    footer = " · ".join(f"{k}: {v}" for k, v in doc.meta.items())
    if footer:
        para = document.add_paragraph()
        run = para.add_run(footer)
        run.font.size = Pt(8)
    document.save(str(path))

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


def _table(document: Any, table: Table) -> None:
    from docx.shared import Pt

    caption = document.add_paragraph()
    run = caption.add_run(table.title)
    run.bold = True
    grid = [*table.header, *table.rows]
    ncols = max(sum(c.colspan for c in row) for row in grid)
    out = document.add_table(rows=len(grid), cols=ncols)
    out.autofit = True
    for r, row in enumerate(grid):
        col = 0
        for c in row:
            target = out.cell(r, col)
            if c.colspan > 1:
                target = target.merge(out.cell(r, col + c.colspan - 1))
            para = target.paragraphs[0]
            para.alignment = _ALIGN[c.align]
            if c.indent:
                para.paragraph_format.left_indent = Pt(9 * c.indent)
            text = para.add_run(c.text)
            text.font.size = Pt(9)
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
    style.font.name = "Calibri"
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

"""The report as a Word document with real Word tables (journals and co-authors edit Word).

Tables are built row by row (``add_row().cells``: work linear in the rows; ``table.cell(r, c)``
rebuilds the whole cell grid on every call). Header rows repeat on continued pages, rows do not
split, values never wrap, columns are at least as wide as their longest header word measured in
the document's font, headings keep with what follows and figures fit the text width.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any, Literal

from survstudy.report.document import Cell, Document, Figure, Paragraph, Section, Table

__all__ = ["PAGE_SIZES_CM", "write_docx"]

_ALIGN = {"left": 0, "center": 1, "right": 2}
#: Page width and height (cm) by ``[report] paper``.
PAGE_SIZES_CM: dict[str, tuple[float, float]] = {"a4": (21.0, 29.7), "letter": (21.59, 27.94)}
_MARGIN_CM = 2.5
_FIGURE_CM = 16.0
_NBSP = "\u00a0"
_EMU_PER_PT = 12700
#: Word's default cell margins, left plus right (0.08 inch each), and a little slack.
_CELL_PADDING_EMU = int(0.19 * 914400)


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return str(qn(tag))


def _element(tag: str, **attrs: str) -> Any:
    from docx.oxml import OxmlElement

    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(_qn(k), v)
    return el


def _border(tc: Any, edge: str, size: int) -> None:
    """Give a cell (its ``w:tc``) a single-line border on one edge (eighths of a point)."""
    props = tc.get_or_add_tcPr()
    borders = props.find(_qn("w:tcBorders"))
    if borders is None:
        borders = _element("w:tcBorders")
        props.append(borders)
    old = borders.find(_qn(f"w:{edge}"))
    if old is not None:
        borders.remove(old)
    borders.append(_element(f"w:{edge}", **{"w:val": "single", "w:sz": str(size),
                                           "w:color": "000000"}))  # fmt: skip


@cache
def _font(bold: bool, points: float) -> Any:
    """Liberation Sans (Arial's metrics, Word's font here) for measuring text; None if absent."""
    try:
        from matplotlib import font_manager
        from PIL import ImageFont

        from survstudy.report.figures import _register_fonts

        _register_fonts()
        prop = font_manager.FontProperties(family=["Liberation Sans", "Arial"],
                                           weight="bold" if bold else "normal")  # fmt: skip
        path = font_manager.findfont(prop, fallback_to_default=False)
        return ImageFont.truetype(path, size=int(points * 20))  # 20x: sub-point precision
    except Exception:  # no font file: estimate from an average glyph width
        return None


def text_width_pt(text: str, points: float, bold: bool = False) -> float:
    """Width of ``text`` in points at ``points`` size in Arial (Liberation Sans)."""
    font = _font(bold, points)
    if font is None:
        return len(text) * points * (0.62 if bold else 0.58)
    return float(font.getlength(text)) / 20


def _keep_together(c: Cell, header: bool) -> bool:
    """Values (right-aligned body cells) never wrap: "< 0.001 b" or "12 (46.2)" stay whole."""
    return not header and c.align == "right" and len(c.text) <= 32


def _cell_text(c: Cell, header: bool) -> str:
    return c.text.replace(" ", _NBSP) if _keep_together(c, header) else c.text


def _column_widths(table: Table, ncols: int, usable: int, points: float) -> list[int]:
    """Column widths (EMU) fitting the text: no column narrower than its longest header word
    or its longest value (neither may break), the rest of the page shared by how much longer
    each column's text is than that."""
    shortest = [0.0] * ncols
    wanted = [0.0] * ncols
    longest = [0.0] * ncols  # whole texts, uncapped: spare room goes where text is long
    for r, row in enumerate((*table.header, *table.rows)):
        header = r < len(table.header)
        bold = header
        col = 0
        for c in row:
            if c.colspan == 1:
                pieces = [c.text] if _keep_together(c, header) else c.text.split()
                word = max((text_width_pt(w, points, bold or c.bold) for w in pieces), default=0)
                word += 9.0 * c.indent
                shortest[col] = max(shortest[col], word)
                whole = text_width_pt(c.text[:40], points, bold or c.bold) + 9.0 * c.indent
                wanted[col] = max(wanted[col], word if header else whole)
                if not header:
                    longest[col] = max(longest[col], text_width_pt(c.text, points, c.bold))
            col += c.colspan
    low = [int(w * _EMU_PER_PT) + _CELL_PADDING_EMU for w in shortest]
    high = [int(max(w, s) * _EMU_PER_PT) + _CELL_PADDING_EMU
            for w, s in zip(wanted, shortest, strict=True)]  # fmt: skip
    if sum(high) <= usable:
        more = [max(lg * _EMU_PER_PT + _CELL_PADDING_EMU - h, 0.0)
                for lg, h in zip(longest, high, strict=True)]  # fmt: skip
        weights = more if sum(more) > 0 else [1.0] * ncols
        spare = usable - sum(high)
        return [int(h + spare * w / sum(weights)) for h, w in zip(high, weights, strict=True)]
    if sum(low) >= usable:
        return low  # wider than the text: the table runs into the margin, words stay whole
    share = (usable - sum(low)) / (sum(high) - sum(low))
    return [int(lo + (hi - lo) * share) for lo, hi in zip(low, high, strict=True)]


def _shared_widths(table: Table, ncols: int, usable: int, points: float) -> list[int]:
    """Columns at the table's stated shares of the text width, but none narrower than its
    longest word: what that costs is taken from the columns given more than their words."""
    low = _column_widths(table, ncols, 0, points)  # no room to share: each its longest word
    want = [max(lo, int(usable * w)) for lo, w in zip(low, table.widths, strict=True)]
    spare = [w - lo for w, lo in zip(want, low, strict=True)]
    over = sum(want) - usable
    if over <= 0 or sum(spare) == 0:
        return want
    cut = min(1.0, over / sum(spare))
    return [int(w - sp * cut) for w, sp in zip(want, spare, strict=True)]


def _page(section: Any, paper: str, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    width, height = PAGE_SIZES_CM[paper]
    if landscape:
        width, height = height, width
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(width), Cm(height)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(_MARGIN_CM))


def _landscape(document: Any, on: bool, paper: str) -> None:
    """Start a new section in landscape (``on``) or portrait orientation."""
    from docx.enum.section import WD_ORIENT, WD_SECTION

    current = document.sections[-1]
    if (current.orientation == WD_ORIENT.LANDSCAPE) == on:
        return
    _page(document.add_section(WD_SECTION.NEW_PAGE), paper, on)


def _usable(document: Any) -> int:
    section = document.sections[-1]
    return int(section.page_width - section.left_margin - section.right_margin)


def _fill(cell: Any, c: Cell, header: bool, points: float) -> None:
    from docx.shared import Pt

    para = cell.paragraphs[0]
    para.alignment = _ALIGN[c.align]
    fmt = para.paragraph_format
    fmt.space_after = fmt.space_before = Pt(1)
    if c.indent:
        fmt.left_indent = Pt(9 * c.indent)
    text, mark = c.text, c.mark
    if mark and text.endswith(mark):
        text = text[: -len(mark)].rstrip()
    run = para.add_run(_cell_text(Cell(text, align=c.align), header))
    run.font.size = Pt(points)
    run.bold = c.bold or header
    if mark:
        sup = para.add_run(mark)
        sup.font.size = Pt(points)
        sup.font.superscript = True
    if _keep_together(c, header):
        cell._tc.get_or_add_tcPr().append(_element("w:noWrap"))


def _wide(table: Table) -> bool:
    """More than eight columns: the table gets a landscape page."""
    return max(sum(c.colspan for c in row) for row in (*table.header, *table.rows)) > 8


def _table(document: Any, table: Table, paper: str) -> None:
    from docx.shared import Pt

    grid = [*table.header, *table.rows]
    ncols = max(sum(c.colspan for c in row) for row in grid)
    wide = _wide(table)
    if wide:
        _landscape(document, True, paper)
    caption = document.add_paragraph()
    caption.paragraph_format.keep_with_next = True
    caption.add_run(table.title).bold = True
    out = document.add_table(rows=0, cols=ncols)
    out.autofit = False
    points = 7.5 if wide else 9.0
    usable = _usable(document)
    widths = (_shared_widths(table, ncols, usable, points) if len(table.widths) == ncols else
              _column_widths(table, ncols, usable, points))
    for col, width in enumerate(widths):
        out.columns[col].width = width  # the grid, which LibreOffice and Word read; rows copy it
    tcs: list[list[Any]] = []
    for r, row in enumerate(grid):
        header = r < len(table.header)
        added = out.add_row()
        props = added._tr.get_or_add_trPr()
        props.append(_element("w:cantSplit"))
        if header:  # repeat the header rows at the top of each continued page
            props.append(_element("w:tblHeader"))
        cells = added.cells
        col = 0
        for c in row:
            target = cells[col]
            if c.colspan > 1:
                target = target.merge(cells[col + c.colspan - 1])
            _fill(target, c, header, points)
            col += c.colspan
        tcs.append(list(dict.fromkeys(added._tr.tc_lst)))
    # three-line journal style: rule above and below the header, rule under the last row
    for tc in tcs[0]:
        _border(tc, "top", 12)
    for tc in tcs[len(table.header) - 1]:
        _border(tc, "bottom", 6)
    for tc in tcs[-1]:
        _border(tc, "bottom", 12)
    marks = {c.mark for row in table.rows for c in row if c.mark}
    for note in table.footnotes:
        para = document.add_paragraph()
        letter, _, rest = note.partition(" ")
        if letter in marks and rest:
            sup = para.add_run(letter)
            sup.font.superscript = True
            sup.font.size = Pt(8)
            note = " " + rest
        run = para.add_run(note)
        run.font.size = Pt(8)
        run.italic = True
    if wide:
        _landscape(document, False, paper)


def _figure(document: Any, figure: Figure) -> None:
    from docx.shared import Cm, Pt

    width = min(int(Cm(_FIGURE_CM)), _usable(document))
    document.add_picture(io.BytesIO(figure.png), width=width)
    document.paragraphs[-1].paragraph_format.keep_with_next = True  # the picture, with its caption
    para = document.add_paragraph()
    run = para.add_run(figure.caption)
    run.font.size = Pt(9)


def _blocks(document: Any, section: Section, level: int, paper: str) -> None:
    first = section.blocks[0] if section.blocks else None
    if isinstance(first, Table) and _wide(first):  # the heading goes on the landscape page too
        _landscape(document, True, paper)
    heading = document.add_heading(section.title, level=level)
    heading.paragraph_format.keep_with_next = True
    for block in section.blocks:
        if isinstance(block, Section):
            _blocks(document, block, min(level + 1, 4), paper)
        elif isinstance(block, Paragraph):
            para = document.add_paragraph(block.text)
            if block.kind != "text":
                for run in para.runs:
                    run.italic = True
        elif isinstance(block, Table):
            _table(document, block, paper)
        elif isinstance(block, Figure):
            _figure(document, block)


def write_docx(doc: Document, path: Path, paper: Literal["a4", "letter"] = "a4") -> None:
    """Write ``doc`` as a .docx file at ``path`` on ``paper`` (A4 or US Letter)."""
    import docx
    from docx.shared import Pt

    document = docx.Document()
    _page(document.sections[0], paper, False)
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    document.add_heading(doc.title, level=0)
    document.add_paragraph(doc.subtitle)
    for section in doc.sections:
        _blocks(document, section, 1, paper)
    footer = " · ".join(f"{k}: {v}" for k, v in doc.meta.items())
    if footer:
        para = document.add_paragraph()
        run = para.add_run(footer)
        run.font.size = Pt(8)
    document.save(str(path))

"""The Word report's layout, read back from its XML (issue 14, items 4 and 8): linear work in
the rows, header rows that repeat, values that never wrap, header words that fit their column,
figures within the text width, A4 or Letter paper, headings kept with what follows."""

from __future__ import annotations

import cProfile
import io
import pstats
from pathlib import Path
from typing import Any

import pytest

from survstudy.report.document import Cell, Document, Figure, Paragraph, Section, Table
from survstudy.report.docx import PAGE_SIZES_CM, text_width_pt, write_docx

docx = pytest.importorskip("docx")

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
COLUMNS = ("Metastatic pattern", "Age", "Pathology", "Histologic grade", "Progesterone receptor",
           "HER2", "Extrahepatic site", "Liver segments resected", "Type of liver resection",
           "Radiofrequency ablation", "Overall survival (months)", "Reproduced")  # fmt: skip


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (2000, 1400), "white").save(out, format="PNG")
    return out.getvalue()


def _listing(n: int) -> Table:
    header = tuple(Cell(c, align="right" if c == "Age" else "left") for c in COLUMNS)
    rows = tuple(
        (Cell("Solitary liver metastasis"), Cell(str(40 + i % 30), align="right"),
         *[Cell("lateral sectionectomy") for _ in COLUMNS[2:-2]],
         Cell(f"{i % 60 + 0.5:.1f}", align="right"), Cell("yes"))
        for i in range(n)
    )  # fmt: skip
    return Table("patient-listing", "Table 2. Patient listing", (header,), rows)


def _table1() -> Table:
    header = (Cell("Characteristic"), Cell("A (n = 7)", align="right"),
              Cell("B (n = 6)", align="right"), Cell("p", align="right"))  # fmt: skip
    rows = (
        (Cell("HER2, n (%)", bold=True), Cell("", align="right"), Cell("", align="right"),
         Cell("< 0.001 b", align="right", mark="b")),
        (Cell("Positive", indent=1), Cell("1 (14.3)", align="right"),
         Cell("4 (66.7)", align="right"), Cell("", align="right")),
    )  # fmt: skip
    return Table(
        "characteristics",
        "Table 1. Patient characteristics",
        (header,),
        rows,
        ("b Fisher's exact test: expected count < 5.", "IQR: interquartile range."),
    )


def _document(n: int = 20) -> Document:
    fig = Figure("km", "Figure 1. Overall survival.", _png(), b"<svg/>", "curves")
    return Document("Study", "13 patients", (
        Section("Patient characteristics", (_table1(),), id="t1"),
        Section("Survival", (Paragraph("Overall survival."), fig), id="s"),
        Section("Patient listing", (_listing(n),), id="listing"),
    ))  # fmt: skip


def _write(tmp_path: Path, doc: Document, **kw: Any) -> Any:
    path = tmp_path / "report.docx"
    write_docx(doc, path, **kw)
    return docx.Document(str(path))


def _calls(doc: Document, path: Path) -> int:
    profile = cProfile.Profile()
    profile.runcall(write_docx, doc, path)
    return int(pstats.Stats(profile).total_calls)  # type: ignore[attr-defined]


def test_listing_is_written_in_linear_work(tmp_path: Path) -> None:
    """Function calls for 400 patients are about 4x those for 100 (cell(r, c) made it 16x)."""
    small = _calls(Document("s", "", (Section("L", (_listing(100),)),)), tmp_path / "a.docx")
    large = _calls(Document("s", "", (Section("L", (_listing(400),)),)), tmp_path / "b.docx")
    assert 3.0 < large / small < 4.6


def test_header_rows_repeat_and_rows_do_not_split(tmp_path: Path) -> None:
    d = _write(tmp_path, _document(60))
    for table in d.tables:
        rows = table._tbl.tr_lst
        assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None
        assert all(r.find(f"{W}trPr/{W}tblHeader") is None for r in rows[1:])
        assert all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows)


def test_values_never_wrap_and_marks_are_superscript(tmp_path: Path) -> None:
    d = _write(tmp_path, _document())
    table = d.tables[0]
    p_cell = table.rows[1].cells[3]
    assert p_cell.text == "<\u00a00.001b"  # a non-breaking space; the letter a separate run
    assert p_cell._tc.find(f"{W}tcPr/{W}noWrap") is not None
    runs = p_cell.paragraphs[0].runs
    assert [r.text for r in runs] == ["<\u00a00.001", "b"]
    assert runs[1].font.superscript
    assert not runs[0].font.superscript
    notes = [p for p in d.paragraphs if p.text.startswith("b ")]
    assert notes
    assert notes[0].runs[0].text == "b"
    assert notes[0].runs[0].font.superscript
    # a footnote that is not a letter mark stays plain
    iqr = next(p for p in d.paragraphs if p.text.startswith("IQR"))
    assert not any(r.font.superscript for r in iqr.runs)


def test_listing_header_words_fit_their_columns(tmp_path: Path) -> None:
    d = _write(tmp_path, _document())
    listing = d.tables[-1]
    widths = [int(g.get(f"{W}w")) / 20 for g in listing._tbl.tblGrid.gridCol_lst]  # twips → pt
    size = listing.rows[0].cells[0].paragraphs[0].runs[0].font.size.pt
    for name, width in zip(COLUMNS, widths, strict=True):
        word = max(text_width_pt(w, size, bold=True) for w in name.split())
        assert word + 2 * 5.76 <= width, (name, word, width)  # Word's cell margins 0.08 inch
    # the grid fits the landscape page it is on
    section = d.sections[-2]
    assert section.page_width > section.page_height
    usable = section.page_width - section.left_margin - section.right_margin
    assert sum(widths) * 12700 <= usable + 12700  # each column rounded to whole twips


def test_figures_fit_the_text_width(tmp_path: Path) -> None:
    for paper in ("a4", "letter"):
        d = _write(tmp_path, _document(), paper=paper)
        section = d.sections[0]
        text = section.page_width - section.left_margin - section.right_margin
        assert d.inline_shapes
        assert all(shape.width <= text for shape in d.inline_shapes)


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_paper(tmp_path: Path, paper: str) -> None:
    d = _write(tmp_path, _document(), paper=paper)
    width, height = PAGE_SIZES_CM[paper]
    first = d.sections[0]
    assert round(first.page_width.cm, 2) == width
    assert round(first.page_height.cm, 2) == height
    landscape = d.sections[1]  # the listing
    assert round(landscape.page_width.cm, 2) == height


def test_a4_is_the_default(tmp_path: Path) -> None:
    d = _write(tmp_path, _document())
    assert round(d.sections[0].page_width.cm, 1) == 21.0


def test_headings_keep_with_next(tmp_path: Path) -> None:
    d = _write(tmp_path, _document())
    headings = [p for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert len(headings) == 3
    assert all(p.paragraph_format.keep_with_next for p in headings)
    captions = [p for p in d.paragraphs if p.text.startswith("Table ")]
    assert all(p.paragraph_format.keep_with_next for p in captions)
    # the listing's heading is on the landscape page with its table
    listing_heading = headings[-1]
    body = list(d.element.body)
    sect_breaks = [i for i, el in enumerate(body) if el.find(f"{W}pPr/{W}sectPr") is not None]
    assert body.index(listing_heading._p) > sect_breaks[0]


def test_html_marks_are_superscript() -> None:
    from survstudy.report.html import render_html

    html = render_html(_document())
    assert "&lt; 0.001<sup>b</sup></td>" in html
    assert "<li><sup>b</sup> Fisher" in html
    assert "<li>IQR: interquartile range.</li>" in html

"""The report as a document model: sections of paragraphs, tables and figures.

Every output format (HTML, Word, CSV/XLSX tables) renders this one model, so a number reads the
same everywhere. Blocks hold display text already formatted (see ``format.py``); the numbers
themselves travel separately in ``results.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Block", "Cell", "Document", "Figure", "Paragraph", "Section", "Table", "cell"]

Align = Literal["left", "right", "center"]


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, and how to show it.

    ``mark`` is a footnote letter that ``text`` ends with ("0.071 b"): formats that can, set it
    superscript; plain-text outputs keep it as written.
    """

    text: str
    bold: bool = False
    align: Align = "left"
    colspan: int = 1
    indent: int = 0
    mark: str = ""


def cell(value: str | Cell, align: Align = "left") -> Cell:
    return value if isinstance(value, Cell) else Cell(str(value), align=align)


@dataclass(frozen=True)
class Table:
    """A table with header rows, body rows and footnotes (tests used, abbreviations).

    ``widths``: each column's share of the text width (summing to 1), for a table whose long
    prose column must not be squeezed; empty = fitted to the text by each renderer.
    """

    id: str
    title: str
    header: tuple[tuple[Cell, ...], ...]
    rows: tuple[tuple[Cell, ...], ...]
    footnotes: tuple[str, ...] = ()
    widths: tuple[float, ...] = ()

    def text_grid(self) -> list[list[str]]:
        """Header and body as plain text rows, column spans expanded with blanks."""
        grid = []
        for row in (*self.header, *self.rows):
            line: list[str] = []
            for c in row:
                line.append(("  " * c.indent) + c.text)
                line.extend([""] * (c.colspan - 1))
            grid.append(line)
        return grid


@dataclass(frozen=True)
class Figure:
    """A figure as PNG and SVG bytes, with its caption and a text alternative."""

    id: str
    caption: str
    png: bytes
    svg: bytes
    alt: str


@dataclass(frozen=True)
class Paragraph:
    """Running text. ``kind`` "note" renders as a quieter aside (e.g. data caveats)."""

    text: str
    kind: Literal["text", "note", "warning"] = "text"


Block = Paragraph | Table | Figure


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block | Section, ...]
    id: str = ""


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    sections: tuple[Section, ...]
    meta: dict[str, str] = field(default_factory=dict)

    def tables(self) -> list[Table]:
        return [b for b in self._blocks() if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for b in self._blocks() if isinstance(b, Figure)]

    def _blocks(self) -> list[Block]:
        out: list[Block] = []

        def walk(section: Section) -> None:
            for b in section.blocks:
                if isinstance(b, Section):
                    walk(b)
                else:
                    out.append(b)

        for s in self.sections:
            walk(s)
        return out

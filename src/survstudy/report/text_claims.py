"""The reproduction table: each published number beside what the data give, its verdict in
words ("Cannot be checked from the data", never a bare "no") and why, with room for the why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from survstudy.report.document import Cell, Table
from survstudy.report.format import format_number, format_p

if TYPE_CHECKING:
    from survstudy.study.analysis import StudyResults

__all__ = ["CLAIMS_WIDTHS", "VERDICT_TEXT", "claims_table"]

#: How each verdict reads in the table ("cannot be checked" is not "no").
VERDICT_TEXT = {"reproduced": "Reproduced", "contradicts": "Contradicted elsewhere in the paper",
                "impossible": "Impossible", "outside-range": "Outside the attainable range",
                "not-derivable": "Cannot be checked from the data", "differs": "Differs"}

#: Shares of the text width: the prose "Why" column gets the most room.
CLAIMS_WIDTHS = (0.19, 0.11, 0.08, 0.08, 0.13, 0.41)


def claims_table(results: StudyResults, number: int) -> Table:
    """Table ``number``: the ``[[published]]`` numbers, printed and recomputed, with verdicts."""
    header = (Cell("Published number"), Cell("Source"), Cell("Printed", align="right"),
              Cell("Data give", align="right"), Cell("Verdict"), Cell("Why"))
    rows = []
    for c in results.claims:
        unit = "%" if c.claim.quantity in ("survival", "percent") else ""
        printed = format_number(c.claim.value, c.decimals) + unit
        computed = ("—" if c.computed is None else
                    format_number(c.computed, c.decimals) + unit)
        if c.claim.quantity == "log_rank_p" and c.computed is not None:
            computed = format_p(c.computed, max(3, c.decimals))
        why = c.reason[:1].upper() + c.reason[1:]
        why += "" if why.endswith(".") else "."
        if c.claim.note:
            why += f" Note in the study file: {c.claim.note}"
        rows.append((Cell(c.claim.what), Cell(c.claim.source or ""),
                     Cell(printed, align="right"), Cell(computed, align="right"),
                     Cell(VERDICT_TEXT[c.verdict], bold=True), Cell(why)))
    n_ok = sum(c.reproduced for c in results.claims)
    return Table("published", f"Table {number}. Published numbers beside what the data give",
                 (header,), tuple(rows),
                 (f"{n_ok} of {len(results.claims)} printed numbers are reproduced. Each is "
                  "recomputed from the data and rounded to the decimals it was printed with; "
                  "every other verdict and its reason is worked out from the data.",),
                 widths=CLAIMS_WIDTHS)

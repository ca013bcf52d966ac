"""Table 1 of the report: patient characteristics by group, formatted the clinical way.

Numbers come from :class:`survstudy.stats.characteristics.table.CharacteristicsTable`; each p
carries a footnote letter naming the test and why it was chosen (one letter per test and reason).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from survstudy.report.document import Cell, Table
from survstudy.report.format import (
    format_count,
    format_mean_sd,
    format_n_percent,
    format_number,
    format_p,
    format_range,
    group_label,
)
from survstudy.stats.characteristics.table import (
    CategoricalRow,
    CharacteristicsTable,
    ContinuousRow,
    Row,
)
from survstudy.stats.characteristics.tests_common import TEST_LABELS

__all__ = ["characteristics_block"]

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _right(text: str) -> Cell:
    return Cell(text, align="right")


def _reason(reason: str, groups: Sequence[str], labels: Mapping[str, str]) -> str:
    """A test's reason for a footnote: no per-group p in brackets, each quoted group code
    ('2') replaced by its label (Grade 2), ``>=`` as ≥."""
    text = re.sub(r" \(p = [^)]*\)", "", reason)
    text = text.split(" (")[0].removeprefix("not testable: ").replace(">=", "≥")
    for g in sorted(groups, key=len, reverse=True):
        text = text.replace(f"'{g}'", group_label(g, labels))
    return text


def _test_notes(rows: Sequence[Row], groups: Sequence[str] = (),
                labels: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """Footnote letter per variable (shared by variables with the same test and reason)."""
    letters: dict[tuple[str, str], str] = {}
    notes: list[str] = []
    marks: dict[str, str] = {}
    for row in rows:
        t = row.test
        name = TEST_LABELS.get(t.test or "", "Not tested")
        reason = _reason(t.reason, groups, labels or {})
        key = (name, reason)
        if key not in letters:
            letters[key] = _LETTERS[len(letters) % 26]
            notes.append(f"{letters[key]} {name[:1].upper() + name[1:]}: {reason}.")
        marks[row.variable] = letters[key]
    return marks, notes


def _p_cell(p: float | None, mark: str) -> Cell:
    text = "not testable" if p is None else format_p(p)
    return Cell(f"{text} {mark}", align="right", mark=mark)


def characteristics_block(
    table: CharacteristicsTable,
    number: int,
    *,
    group_labels: Mapping[str, str],
    variable_labels: Mapping[str, str],
    level_labels: Mapping[str, Mapping[str, str]],
    units: Mapping[str, str],
    order: Sequence[str] = (),
    odds_ratios: bool = False,
) -> Table:
    """The report's Table 1 for ``table``, rows in the order of ``order`` when given; with
    ``odds_ratios`` (two groups) an OR column for the characteristics with two levels."""
    ordered = sorted(table.rows, key=lambda r: order.index(r.variable)
                     if r.variable in order else len(order))
    marks, notes = _test_notes(ordered, table.groups, group_labels)
    with_or = odds_ratios and len(table.groups) == 2 and any(
        isinstance(r, CategoricalRow) and r.odds_ratio is not None for r in ordered)
    header = (
        Cell("Characteristic"),
        *[_right(f"{group_label(g, group_labels)} (n = {format_count(n)})")
          for g, n in zip(table.groups, table.n, strict=True)],
        _right(f"All patients (n = {format_count(table.n_overall)})"),
        _right("p"),
        *([_right("OR (95% CI)")] if with_or else []),
    )
    k = len(table.groups)
    blank = [_right("")] * (k + 1)
    extra = [_right("")] if with_or else []
    rows: list[tuple[Cell, ...]] = []
    for row in ordered:
        label = variable_labels.get(row.variable, row.variable)
        if isinstance(row, ContinuousRow):
            unit = units.get(row.variable)
            # no doubled unit: "Positive lymph nodes" with unit "nodes" is not "…, nodes"
            head = f"{label}, {unit}" if unit and unit.lower() not in label.lower() else label
            every = [*row.summaries, row.overall]
            rows.append((Cell(head, bold=True), *blank,
                         _p_cell(row.test.p_value, marks[row.variable]), *extra))
            rows.append((Cell("Mean ± SD", indent=1),
                         *[_right(format_mean_sd(s.mean, s.sd)) for s in every], _right(""),
                         *extra))
            rows.append((Cell("Median (IQR)", indent=1),
                         *[_right(_median_iqr(s.median, s.q1, s.q3)) for s in every],
                         _right(""), *extra))
            rows.append((Cell("Range", indent=1),
                         *[_right(_whole_range(s.min, s.max)) for s in every], _right(""),
                         *extra))
            if row.overall.missing:
                rows.append((Cell("Missing", indent=1),
                             *[_right(str(s.missing)) for s in every], _right(""), *extra))
        elif isinstance(row, CategoricalRow):
            names = level_labels.get(row.variable, {})
            rows.append((Cell(f"{label}, n (%)", bold=True), *blank,
                         _p_cell(row.test.p_value, marks[row.variable]), *extra))
            known = [sum(lv.n[i] for lv in row.levels) for i in range(k)]
            known_all = sum(lv.n_overall for lv in row.levels)
            for lv in row.levels:
                odds = extra
                if with_or and row.odds_ratio is not None and lv.level == row.odds_ratio_level:
                    o = row.odds_ratio
                    odds = [_right(f"{format_number(o.estimate, 2, missing='NE')} "
                                   f"({format_range(o.ci_lower, o.ci_upper, 2, missing='NE')})")]
                rows.append((Cell(group_label(lv.level, names), indent=1),
                             *[_right(format_n_percent(n, total))
                               for n, total in zip(lv.n, known, strict=True)],
                             _right(format_n_percent(lv.n_overall, known_all)), _right(""),
                             *odds))
            if row.missing_overall:
                rows.append((Cell("Missing", indent=1), *[_right(str(m)) for m in row.missing],
                             _right(str(row.missing_overall)), _right(""), *extra))
    footnotes = [
        *notes,
        "Percentages are of the patients with a known value; missing values are counted "
        "apart. IQR: interquartile range; SD: standard deviation.",
    ]
    if with_or:
        first, second = (group_label(g, group_labels) for g in table.groups)
        footnotes.append(
            f"OR: odds ratio of the level on whose row it stands against the other level of "
            f"the characteristic, {first} vs {second} (reference group: {second}); "
            "conditional maximum likelihood with the exact confidence interval, as Fisher's "
            "test. Characteristics with more than two levels have none."
        )
    if table.excluded:
        footnotes.append(f"{table.excluded} patients without a group were left out.")
    return Table("characteristics", f"Table {number}. Patient characteristics", (header,),
                 tuple(rows), tuple(footnotes))


def _median_iqr(median: float | None, q1: float | None, q3: float | None) -> str:
    if median is None:
        return "NA"
    return f"{format_number(median)} ({format_range(q1, q3)})"


def _whole_range(lo: float | None, hi: float | None) -> str:
    """A range of whole values (counts, ages in years) without decimals: "0–5004"."""
    whole = all(v is not None and float(v).is_integer() for v in (lo, hi))
    return format_range(lo, hi, 0 if whole else 1)

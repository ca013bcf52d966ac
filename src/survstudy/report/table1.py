"""Table 1 as text: a DataFrame of formatted cells, footnotes naming each test and why, and
a plain-text table for the terminal. Wording lives here, not in the result; numbers are
rounded by ``survstudy.report.format`` (half away from zero) like every other output."""

from __future__ import annotations

from typing import TYPE_CHECKING

from survstudy.stats.characteristics.tests_common import TEST_LABELS

if TYPE_CHECKING:
    import pandas as pd

    from survstudy.stats.characteristics.describe import ContinuousSummary
    from survstudy.stats.characteristics.table import (
        CategoricalRow,
        CharacteristicsTable,
        ContinuousRow,
    )

__all__ = ["footnotes", "format_p", "render_text", "table_frame"]


def format_p(p: float | None) -> str:
    """``< 0.001``, three decimals, or "not testable" (never NaN)."""
    from survstudy.report.format import format_p as clinical_p

    return "not testable" if p is None else clinical_p(p)


def _num(x: float | None, digits: int) -> str:
    from survstudy.report.format import format_number

    return format_number(x, digits, missing="–")


def _count(n: int, pct: float | None, digits: int) -> str:
    return f"{n}" if pct is None else f"{n} ({_num(pct, digits)})"


def _mean_sd(s: ContinuousSummary, d: int) -> str:
    return "–" if s.mean is None else f"{_num(s.mean, d)} ± {_num(s.sd, d)}"


def _median_iqr(s: ContinuousSummary, d: int) -> str:
    if s.median is None:
        return "–"
    return f"{_num(s.median, d)} ({_num(s.q1, d)}–{_num(s.q3, d)})"


def _range(s: ContinuousSummary, d: int) -> str:
    return "–" if s.min is None else f"{_num(s.min, d)}–{_num(s.max, d)}"


def _marks(table: CharacteristicsTable) -> dict[str, str]:
    """Footnote letter of each variable."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return {r.variable: (letters[i] if i < 26 else str(i + 1)) for i, r in enumerate(table.rows)}


def table_frame(table: CharacteristicsTable, digits: int = 1) -> pd.DataFrame:
    """One line per statistic; the variable's first line carries p, test and SMD."""
    import pandas as pd

    heads = [f"{g} (n={n})" for g, n in zip(table.groups, table.n, strict=True)]
    overall = f"Overall (n={table.n_overall})"
    marks = _marks(table)
    lines: list[list[str]] = []
    for row in table.rows:
        test = row.test.test or "–"
        first = [
            format_p(row.test.p_value),
            f"{test} ({marks[row.variable]})",
            _num(row.smd.value, 3),
        ]
        if row.type == "categorical":
            lines += _categorical_lines(row, first, digits)  # type: ignore[arg-type]
        else:
            lines += _continuous_lines(row, first, digits)  # type: ignore[arg-type]
    columns = ["Characteristic", *heads, overall, "p", "Test", "SMD"]
    return pd.DataFrame(lines, columns=columns)


def _blank(k: int) -> list[str]:
    return [""] * k


def _categorical_lines(row: CategoricalRow, first: list[str], d: int) -> list[list[str]]:
    k = len(row.missing)
    lines = [[f"{row.variable}, n (%)", *_blank(k + 1), *first]]
    for lv in row.levels:
        cells = [_count(n, p, d) for n, p in zip(lv.n, lv.percent, strict=True)]
        lines.append(
            [f"  {lv.level}", *cells, _count(lv.n_overall, lv.percent_overall, d), *_blank(3)]
        )
    if row.missing_overall:
        lines.append(
            ["  missing", *[str(m) for m in row.missing], str(row.missing_overall), *_blank(3)]
        )
    return lines


def _continuous_lines(row: ContinuousRow, first: list[str], d: int) -> list[list[str]]:
    k = len(row.summaries)
    every = [*row.summaries, row.overall]
    lines = [
        [f"{row.variable}", *_blank(k + 1), *first],
        ["  mean ± SD", *[_mean_sd(s, d) for s in every], *_blank(3)],
        ["  median (IQR)", *[_median_iqr(s, d) for s in every], *_blank(3)],
        ["  range", *[_range(s, d) for s in every], *_blank(3)],
    ]
    if row.overall.missing:
        lines.append(["  n known", *[str(s.n) for s in every], *_blank(3)])
        lines.append(["  missing", *[str(s.missing) for s in every], *_blank(3)])
    return lines


def footnotes(table: CharacteristicsTable) -> list[str]:
    """Each test used and why; how percentages, SMD and odds ratios are defined."""
    marks = _marks(table)
    out = []
    for row in table.rows:
        t = row.test
        if t.test is None:
            out.append(f"({marks[row.variable]}) {row.variable}: {t.reason}.")
            continue
        label = TEST_LABELS[t.test]
        how = f", {t.method}" if t.method else ""
        line = f"({marks[row.variable]}) {row.variable}: {label}{how} — {t.reason}."
        if row.type == "categorical" and row.odds_ratio is not None:
            o = row.odds_ratio
            line += (
                f" Odds ratio ('{row.odds_ratio_level}', {table.groups[0]} vs "
                f"{table.groups[1]}) {_num(o.estimate, 2)} "
                f"({round(o.conf_level * 100)}% CI {_num(o.ci_lower, 2)}–"
                f"{_num(o.ci_upper, 2)}), conditional MLE."
            )
        out.append(line)
    out.append(
        "Percentages are of the patients with a known value; missing values are listed separately."
    )
    out.append("SMD: standardized mean difference (as R tableone; mean over pairs of groups).")
    if table.excluded:
        out.append(f"{table.excluded} rows without a value in '{table.group}' were left out.")
    return out


def render_text(table: CharacteristicsTable, digits: int = 1) -> str:
    """The table in fixed-width columns, then its footnotes."""
    frame = table_frame(table, digits)
    header = list(frame.columns)
    cells = [[str(v) for v in row] for row in frame.itertuples(index=False)]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]

    def line(values: list[str]) -> str:
        parts = [values[0].ljust(widths[0])]
        parts += [v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True)]
        return "  ".join(parts).rstrip()

    title = f"Patient characteristics by '{table.group}' ({table.source})"
    rule = "-" * len(line(header))
    body = [title, rule, line(header), rule, *(line(r) for r in cells), rule]
    return "\n".join(body + footnotes(table))

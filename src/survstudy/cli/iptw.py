"""``survstudy iptw``: treatment comparison adjusted by inverse probability of treatment weights."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from survstudy.cli import (
    AtOption,
    CategoricalOption,
    ConfLevelOption,
    DataArgument,
    EventOption,
    JsonOption,
    ReferenceOption,
    TiesOption,
    TimeOption,
    app,
    check_choice,
    coding,
    handles_input_errors,
    parse_times,
    print_result,
    split_list,
)
from survstudy.cli.wording import text_with_warnings

__all__ = ["iptw", "parse_trim", "render_iptw"]


def parse_trim(text: str | None) -> tuple[float, float] | None:
    """``"0.01,0.99"`` → (0.01, 0.99): the quantiles each arm's weights are truncated at."""
    if text is None:
        return None
    items = split_list(text)
    try:
        values = [float(v) for v in items]
    except ValueError:
        values = []
    if len(values) != 2 or not 0.0 <= values[0] < values[1] <= 1.0:
        raise ValueError(f"--trim: write two quantiles LOWER,UPPER such as 0.01,0.99, not {text!r}")
    return values[0], values[1]


def _f(x: float | None, digits: int = 3) -> str:
    return "NE" if x is None else f"{x:.{digits}f}"


def render_iptw(payload: dict[str, Any]) -> str:
    """A plain-text report of the ``iptw`` result, for the terminal."""
    p = payload
    how = p["estimand"].upper() + (", stabilised" if p["stabilized"] else "")
    if p["trim"]:
        how += f", truncated at quantiles {p['trim'][0]:g}/{p['trim'][1]:g} within each arm"
    lines = [
        f"IPTW: '{p['treatment']}' {p['treated']} (treated) vs {p['control']} (control); "
        f"n = {p['n']}, rows excluded for missing values: {p['excluded']['rows']}",
        f"weights: {how}; propensity score by logistic regression on "
        f"{', '.join(p['covariates'])}",
        "",
        f"{'arm':<12} {'n':>6} {'sum':>9} {'min':>7} {'max':>7} {'mean':>7} {'ESS':>8}",
    ]
    for w in p["weights"]:
        lines.append(
            f"{w['group']:<12} {w['n']:>6} {w['sum']:>9.1f} {w['min']:>7.3f} {w['max']:>7.3f} "
            f"{w['mean']:>7.3f} {w['ess']:>8.1f}"
        )
    lines += ["", f"balance (SMD, {p['balance_summary']['denominator']}):",
              f"  {'term':<24} {'before':>8} {'after':>8}"]
    for b in p["balance"]:
        flag = "  *" if b["imbalanced_after"] else ""
        lines.append(f"  {b['term']:<24} {b['smd_before']:>8.3f} {b['smd_after']:>8.3f}{flag}")
    summary = p["balance_summary"]
    lines.append(
        f"  all |SMD| after weighting <= {summary['threshold']:g}"
        if summary["balanced"]
        else f"  * |SMD| > {summary['threshold']:g} after weighting: balance not reached"
    )
    lines += ["", f"weighted Kaplan-Meier (SE: {p['km_variance']}):"]
    for g in p["km"]:
        lines.append(f"  {g['group']}: n = {g['n']}, weighted n = {g['weighted_n']:.1f}")
        for a in g["at"]:
            lines.append(
                f"    t = {a['time']:g}: survival {_f(a['survival'])} (SE {_f(a['std_err'])}), "
                f"weighted at risk {a['n_risk']:.1f}"
            )
    c, t = p["cox"], p["test"]
    lo, hi = c["hr_ci"] or (None, None)
    lines += [
        "",
        f"weighted Cox ({c['ties']} ties, robust SE): HR {_f(c['hr'])} "
        f"({round(c['conf_level'] * 100)}% CI {_f(lo)} to {_f(hi)}), p = {c['p_value']:.4g}",
        f"{t['method']} test: chi-square = {t['statistic']:.3f}, df = {t['df']}, "
        f"p = {t['p_value']:.4g}",
    ]
    return text_with_warnings(lines, p["warnings"])


@app.command()
@handles_input_errors
def iptw(
    data: DataArgument,
    treatment: Annotated[
        str, typer.Option(help="Treatment column and the code of treated patients: COL=CODE.")
    ],
    covariates: Annotated[str, typer.Option(help="Propensity-score covariates: A,B,...")],
    time: TimeOption,
    event: EventOption,
    categorical: CategoricalOption = None,
    reference: ReferenceOption = None,
    estimand: Annotated[str, typer.Option(help="ate (whole cohort) or att (the treated).")] = "ate",
    stabilize: Annotated[
        bool, typer.Option("--stabilize", help="Stabilised weights (x marginal probability).")
    ] = False,
    trim: Annotated[
        str | None,
        typer.Option(help="Truncate each arm's weights at these quantiles: LOWER,UPPER."),
    ] = None,
    at: AtOption = None,
    ties: TiesOption = "efron",
    conf_level: ConfLevelOption = 0.95,
    love_plot: Annotated[
        Path | None,
        typer.Option(help="Write the love plot (SMD before/after) as PATH.png and PATH.svg."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Adjusted comparison by IPTW: propensity score, weights, balance, weighted KM and Cox.

    DATA is a CSV, XLSX or Parquet file with one row per patient.
    """
    from survstudy.api.adjusted import iptw as run_iptw

    check_choice("estimand", estimand, ("ate", "att"))
    check_choice("ties", ties, ("efron", "breslow"))
    result = run_iptw(
        str(data),
        treatment,
        split_list(covariates),
        time,
        event,
        **coding(categorical, reference),
        estimand=estimand,  # type: ignore[arg-type]
        stabilize=stabilize,
        trim=parse_trim(trim),
        at=parse_times(at),
        ties=ties,  # type: ignore[arg-type]
        conf_level=conf_level,
    )
    payload = result.to_dict()
    if love_plot is not None:
        from survstudy.report.figures import save_figure
        from survstudy.report.loveplot import love_plot as draw

        save_figure(draw(result.balance), love_plot)
    print_result(payload, as_json, render_iptw)

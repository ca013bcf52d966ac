"""``survstudy finegray``: Fine-Gray subdistribution hazard regression (cmprsk ``crr``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from survstudy.cli import (
    DataArgument,
    EventOption,
    TimeOption,
    app,
    emit_json,
    handles_input_errors,
    split_list,
)
from survstudy.cli.cif import CompetingOption
from survstudy.cli.wording import warning_lines

__all__ = ["finegray", "render_finegray"]


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def render_finegray(payload: dict[str, Any]) -> str:
    """A plain-text table of the ``finegray`` result, for the terminal."""
    level = round(payload["conf_level"] * 100)
    lines = [
        f"Fine-Gray regression: n = {payload['n']}, events = {payload['events']}, competing "
        f"events = {payload['competing']}, rows excluded for missing values: "
        f"{payload['excluded']['rows']}",
        "",
        f"{'term':<24} {'coef':>8} {'se':>7} {'sHR':>8} {f'{level}% CI':>17} {'p':>7}",
    ]
    for t in payload["coefficients"]:
        lo, hi = t["hr_ci"]
        lines.append(f"{t['term']:<24} {t['coef']:>8.4f} {t['se']:>7.4f} {t['hr']:>8.3f} "
                     f"{f'{lo:.3f}-{hi:.3f}':>17} {_p(t['p_value']):>7}")
    lines.append(f"sHR: subdistribution hazard ratio; SE: {payload['variance_method']}")
    if not payload["converged"]:
        lines.append(f"did not converge in {payload['iterations']} iterations")
    lines += warning_lines(payload["warnings"])
    return "\n".join(lines)


@app.command()
@handles_input_errors
def finegray(
    data: DataArgument,
    time: TimeOption,
    event: EventOption,
    competing: CompetingOption,
    covariates: Annotated[str, typer.Option(help="Covariate columns: A,B,...")],
    categorical: Annotated[
        str | None, typer.Option(help="Covariates to dummy code: A,B,...")
    ] = None,
    reference: Annotated[
        list[str] | None,
        typer.Option(help="Reference level of a categorical covariate: COL=LEVEL (repeatable)."),
    ] = None,
    conf_level: Annotated[float, typer.Option(help="Confidence level.")] = 0.95,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Fine-Gray regression of the subdistribution hazard of an event with competing events.

    DATA is a CSV, XLSX or Parquet file with one row per patient.
    """
    from survstudy.api.competing import fine_gray

    refs = [item for r in (reference or []) for item in split_list(r)]
    result = fine_gray(str(data), time, event, competing, split_list(covariates),
                       categorical=split_list(categorical), reference=refs,
                       conf_level=conf_level)
    payload = result.to_dict()
    if as_json:
        emit_json(payload)
    else:
        typer.echo(render_finegray(payload))

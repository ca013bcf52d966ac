"""``survstudy finegray``: Fine-Gray subdistribution hazard regression (cmprsk ``crr``)."""

from __future__ import annotations

from typing import Any

from survstudy.cli import (
    CategoricalOption,
    ConfLevelOption,
    CovariatesOption,
    DataArgument,
    EventOption,
    JsonOption,
    ReferenceOption,
    TimeOption,
    app,
    coding,
    handles_input_errors,
    print_result,
    split_list,
)
from survstudy.cli.cif import CompetingOption
from survstudy.cli.wording import text_with_warnings

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
    return text_with_warnings(lines, payload["warnings"])


@app.command()
@handles_input_errors
def finegray(
    data: DataArgument,
    time: TimeOption,
    event: EventOption,
    competing: CompetingOption,
    covariates: CovariatesOption,
    categorical: CategoricalOption = None,
    reference: ReferenceOption = None,
    conf_level: ConfLevelOption = 0.95,
    as_json: JsonOption = False,
) -> None:
    """Fine-Gray regression of the subdistribution hazard of an event with competing events.

    DATA is a CSV, XLSX or Parquet file with one row per patient.
    """
    from survstudy.api.competing import fine_gray

    result = fine_gray(str(data), time, event, competing, split_list(covariates),
                       **coding(categorical, reference), conf_level=conf_level)
    print_result(result.to_dict(), as_json, render_finegray)

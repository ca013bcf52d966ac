"""``survstudy cox``: Cox regression (Efron or Breslow ties, Firth's penalized likelihood)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from survstudy.cli import (
    CategoricalOption,
    ConfLevelOption,
    CovariatesOption,
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
    print_result,
    split_list,
)
from survstudy.cli.dialect import reads_csv_dialect
from survstudy.cli.wording import text_with_warnings

if TYPE_CHECKING:
    from survstudy.stats.regression.cox_result import Ties

__all__ = ["cox", "render_cox"]


def _num(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "NE"
    if x == float("inf"):
        return "inf"
    return f"{x:.{digits}f}"


def _p(p: float | None) -> str:
    if p is None:
        return "NE"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def render_cox(payload: dict[str, Any]) -> str:
    """A plain-text table of the ``cox`` result, for the terminal."""
    method = (
        "Firth's penalized partial likelihood"
        if payload["method"] == "firth"
        else "partial likelihood"
    )
    level = round(payload["conf_level"] * 100)
    lines = [
        f"Cox regression ({method}, {payload['ties']} ties): n = {payload['n']}, "
        f"events = {payload['events']}, rows excluded for missing values: "
        f"{payload['excluded']['rows']}",
    ]
    if payload.get("strata"):
        lines.append(f"stratified by '{payload['strata']}'")
    lines += ["", f"{'term':<24} {'coef':>8} {'se':>7} {'HR':>8} {f'{level}% CI':>17} {'p':>7}"]
    for t in payload["coefficients"]:
        if t["infinite"]:
            label = "+inf" if t["infinite"] > 0 else "-inf"
            lines.append(f"{t['term']:<24} {label:>8} {'':>7} {'':>8} {'not estimable':>17}")
            continue
        lo, hi = t["hr_ci"]
        ci = f"{_num(lo)}-{_num(hi)}"
        lines.append(
            f"{t['term']:<24} {_num(t['coef'], 4):>8} {_num(t['se'], 4):>7} "
            f"{_num(t['hr']):>8} {ci:>17} {_p(t['p_value']):>7}"
        )
    lines.append(f"CI: {payload['ci_method']}; p-values: {payload['p_value_method']}")
    if payload.get("weights"):
        lines.append(f"case weights: '{payload['weights']}'; variance: {payload['variance']}")
    ll0, ll1 = payload["loglik"]
    lines += ["", f"log-likelihood: null {ll0:.4f}, fitted {ll1:.4f}"]
    for t in payload["tests"].values():
        lines.append(
            f"{t['method']} test: chi-square = {t['statistic']:.2f}, df = {t['df']}, "
            f"p = {t['p_value']:.4g}"
        )
    c = payload.get("concordance")
    if c:
        lines.append(f"concordance: {c['concordance']:.4f}")
    conv = payload["convergence"]
    if not conv["converged"]:
        lines.append(f"did not converge in {conv['iterations']} iterations")
    ph = payload.get("ph_test")
    if ph:
        lines += ["", "proportional hazards (cox.zph, KM time):"]
        for t in ph["tests"]:
            lines.append(
                f"  {t['term']:<22} chi-square = {t['chisq']:.3f}, df = {t['df']}, "
                f"p = {t['p_value']:.4g}"
            )
    return text_with_warnings(lines, payload["warnings"])


@app.command()
@handles_input_errors
@reads_csv_dialect
def cox(
    data: DataArgument,
    time: TimeOption,
    event: EventOption,
    covariates: CovariatesOption,
    categorical: CategoricalOption = None,
    reference: ReferenceOption = None,
    strata: Annotated[str | None, typer.Option(help="Column whose values are strata.")] = None,
    ties: TiesOption = "efron",
    firth: Annotated[
        bool, typer.Option("--firth", help="Firth's penalized likelihood (small samples).")
    ] = False,
    ph_test: Annotated[
        bool, typer.Option("--ph-test", help="Add the proportional-hazards test (cox.zph).")
    ] = False,
    conf_level: ConfLevelOption = 0.95,
    weights: Annotated[
        str | None, typer.Option(help="Column of case weights (robust SE when not whole).")
    ] = None,
    robust: Annotated[
        bool, typer.Option("--robust", help="Robust (sandwich) standard errors.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Cox proportional hazards regression: hazard ratios, CIs, tests, concordance.

    DATA is a CSV, XLSX or Parquet file with one row per patient.
    """
    from survstudy.api.regression import cox_regression

    check_choice("ties", ties, ("efron", "breslow"))
    result = cox_regression(
        str(data),
        time,
        event,
        split_list(covariates),
        **coding(categorical, reference),
        strata=strata,
        ties=cast("Ties", ties),
        firth=firth,  # type: ignore[arg-type]
        conf_level=conf_level,
        weights=weights,
        robust=True if robust else None,
    )
    payload = result.to_dict()
    if ph_test:
        from survstudy.stats.regression.zph import proportional_hazards_test

        ph = proportional_hazards_test(result).to_dict()
        payload["ph_test"] = {k: ph[k] for k in ("method", "transform", "tests")}
    print_result(payload, as_json, render_cox)

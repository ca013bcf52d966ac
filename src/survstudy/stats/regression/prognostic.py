"""The two tables of a prognostic-factor paper: univariable screening, then multivariable.

Each factor is first fitted alone (its own complete cases), then together (the complete
cases of all factors in the model). A categorical factor with several levels gets one row per
level against its reference, plus an overall likelihood-ratio p-value for the factor (the
model's global test when alone; a comparison with the model without it, on the same rows,
when together). With ``select_p`` only factors whose univariable p is below it enter the
multivariable model, and the rule is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from survstudy.engine.events import EventSpec
from survstudy.jsonsafe import ListRecord
from survstudy.stats.regression.cox import fit_cox
from survstudy.stats.regression.cox_result import CoxResult, Ties, chi_square
from survstudy.stats.regression.design import frame_model_data

if TYPE_CHECKING:
    import pandas as pd

    from survstudy.stats.regression.design import ModelData

__all__ = ["PrognosticRow", "PrognosticTables", "prognostic_tables"]


@dataclass(frozen=True)
class PrognosticRow(ListRecord):
    """One term of one table; ``factor_p_value`` is the factor's overall test."""

    model: Literal["univariable", "multivariable"]
    covariate: str
    term: str
    reference: str | None
    n: int
    events: int
    hr: float | None
    hr_ci: tuple[float, float] | None
    p_value: float | None
    factor_p_value: float | None
    factor_test: str
    infinite: int = 0


@dataclass(frozen=True)
class PrognosticTables:
    """Univariable and multivariable tables, the models behind them, and the selection rule."""

    univariable: tuple[PrognosticRow, ...]
    multivariable: tuple[PrognosticRow, ...]
    selected: tuple[str, ...]
    selection: str
    method: Literal["cox", "firth"]
    ties: Ties
    conf_level: float
    models: Mapping[str, CoxResult] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        multi = self.models.get("multivariable")
        return {
            "method": self.method,
            "ties": self.ties,
            "conf_level": self.conf_level,
            "selection": self.selection,
            "selected": list(self.selected),
            "univariable": [r.to_dict() for r in self.univariable],
            "multivariable": [r.to_dict() for r in self.multivariable],
            "multivariable_model": None if multi is None else multi.to_dict(),
            "warnings": [w.to_dict() for m in self.models.values() for w in m.warnings],
        }

    def to_frame(self) -> pd.DataFrame:
        """Both tables side by side: one row per term, univariable and multivariable columns."""
        import pandas as pd

        def frame(rows: Sequence[PrognosticRow], prefix: str) -> pd.DataFrame:
            return pd.DataFrame(
                [
                    {
                        "covariate": r.covariate,
                        "term": r.term,
                        f"{prefix}_n": r.n,
                        f"{prefix}_hr": r.hr,
                        f"{prefix}_hr_lower": None if r.hr_ci is None else r.hr_ci[0],
                        f"{prefix}_hr_upper": None if r.hr_ci is None else r.hr_ci[1],
                        f"{prefix}_p": r.p_value,
                        f"{prefix}_factor_p": r.factor_p_value,
                    }
                    for r in rows
                ],
                columns=[
                    "covariate",
                    "term",
                    f"{prefix}_n",
                    f"{prefix}_hr",
                    f"{prefix}_hr_lower",
                    f"{prefix}_hr_upper",
                    f"{prefix}_p",
                    f"{prefix}_factor_p",
                ],
            )

        uni = frame(self.univariable, "uni")
        multi = frame(self.multivariable, "multi")
        return uni.merge(multi, on=["covariate", "term"], how="left")


def _fit(data: ModelData, ties: Ties, firth: bool, conf_level: float) -> CoxResult:
    if firth:
        from survstudy.stats.regression.firth import fit_firth

        return fit_firth(data, ties=ties, conf_level=conf_level)
    return fit_cox(data, ties=ties, conf_level=conf_level, with_concordance=False)


def _rows(
    result: CoxResult,
    model: Literal["univariable", "multivariable"],
    factor_p: Mapping[str, tuple[float | None, str]],
) -> list[PrognosticRow]:
    design = result.data.design if result.data is not None else None
    out = []
    for t in result.terms:
        ref = design.reference.get(t.covariate) if design is not None else None
        p, test = factor_p.get(t.covariate, (t.p_value, result.p_value_method))
        out.append(
            PrognosticRow(
                model,
                t.covariate,
                t.term,
                ref,
                result.n,
                result.events,
                t.hr,
                t.hr_ci,
                t.p_value,
                p,
                test,
                t.infinite,
            )
        )
    return out


def prognostic_tables(
    frame: pd.DataFrame,
    time: str,
    spec: EventSpec,
    covariates: Sequence[str],
    *,
    categorical: Sequence[str],
    refs: Mapping[str, str],
    strata: str | None,
    ties: Ties,
    firth: bool,
    select_p: float | None,
    conf_level: float,
    source: str,
    first_row: int,
) -> PrognosticTables:
    """:func:`survstudy.prognostic_factors` on rows already read (``source`` names them in
    messages, ``first_row`` is the user's number of row 0)."""

    def prepared(columns: Sequence[str], rows: pd.DataFrame) -> ModelData:
        cat = [c for c in categorical if c in columns]
        ref = {c: v for c, v in refs.items() if c in cat}
        return frame_model_data(
            rows,
            time,
            spec,
            columns,
            categorical=cat,
            reference=ref,
            strata=strata,
            source=source,
            first_row=first_row,
        )

    models: dict[str, CoxResult] = {}
    univariable: list[PrognosticRow] = []
    uni_p: dict[str, float | None] = {}
    for column in covariates:
        result = _fit(prepared([column], frame), ties, firth, conf_level)
        models[f"univariable:{column}"] = result
        lr = result.tests["likelihood_ratio"]
        several = len(result.terms) > 1
        uni_p[column] = lr.p_value if several else result.terms[0].p_value
        factor = {column: (lr.p_value, lr.method)} if several else {}
        univariable += _rows(result, "univariable", factor)
    if select_p is None:
        selected = covariates
        selection = "all covariates"
    else:
        selected = [c for c in covariates if (p := uni_p[c]) is not None and p < select_p]
        selection = f"covariates with univariable p < {select_p:g}"
    multivariable: list[PrognosticRow] = []
    if selected:
        full = prepared(selected, frame)
        result = _fit(full, ties, firth, conf_level)
        models["multivariable"] = result
        factor_p: dict[str, tuple[float | None, str]] = {}
        rows = frame.loc[
            _kept(frame, [time, spec.column, *selected, *([strata] if strata else [])])
        ]
        for column in selected:
            n_terms = sum(1 for t in result.terms if t.covariate == column)
            if n_terms < 2:
                continue
            others = [c for c in selected if c != column]
            if others:
                reduced = _fit(prepared(others, rows), ties, firth, conf_level).loglik[1]
            else:
                reduced = result.loglik[0]
            test = chi_square(
                2 * (result.loglik[1] - reduced), n_terms, result.tests["likelihood_ratio"].method
            )
            factor_p[column] = (test.p_value, test.method)
        multivariable = _rows(result, "multivariable", factor_p)
    return PrognosticTables(
        tuple(univariable),
        tuple(multivariable),
        tuple(selected),
        selection,
        "firth" if firth else "cox",
        ties,
        conf_level,
        models,
    )


def _kept(frame: pd.DataFrame, columns: Sequence[str]) -> Any:
    """Rows with every column present (the multivariable complete cases)."""
    mask = np.ones(len(frame), dtype=bool)
    for c in dict.fromkeys(columns):
        values = frame[c]
        mask &= ~np.asarray(values.isna(), dtype=bool)
        if values.dtype == object:
            mask &= np.asarray(values.astype("string").str.strip().fillna("") != "", dtype=bool)
    return mask

"""Survival regression from a DataFrame or a file: read the columns, then fit.

:func:`model_data` resolves ``data`` (a path or a DataFrame) and hands the rows to
:func:`survstudy.stats.regression.design.frame_model_data`; the fits are pure statistics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from survstudy.api.inputs import Data, open_data, study_coding
from survstudy.engine.events import EventSpec
from survstudy.engine.sources import Source, numbered, read_frame
from survstudy.errors import Problem
from survstudy.stats.regression.cox import fit_cox
from survstudy.stats.regression.cox_result import CoxResult, Ties
from survstudy.stats.regression.design import ModelData, frame_model_data, parse_reference
from survstudy.stats.regression.design_arrays import array_model_data
from survstudy.stats.regression.prognostic import PrognosticTables, prognostic_tables

if TYPE_CHECKING:
    pass

__all__ = ["cox_regression", "model_data", "prognostic_factors"]


def model_data(
    data: Data,
    time: str,
    event: str | EventSpec,
    covariates: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    reference: Mapping[str, str] | Sequence[str] | None = None,
    strata: str | None = None,
    weights: str | None = None,
) -> ModelData:
    """Read and check the columns a survival regression needs; keep complete cases.

    ``event`` is a 0/1 column name or ``"column=code,..."``. Categorical covariates are
    dummy coded against ``reference[column]`` (default: the first level, numeric order when
    the levels are numbers). From a :class:`Study`, its categorical variables are categorical
    and their first declared level is the reference unless stated. Raises
    :class:`InputError` listing every problem found.
    """
    spec, covariates, categorical = _arguments(event, covariates, categorical)
    if not covariates:
        raise ValueError("give at least one covariate")
    unknown = [c for c in categorical if c not in covariates]
    if unknown:
        raise ValueError(f"categorical column(s) {', '.join(unknown)} are not among the covariates")
    categorical, reference = study_coding(data, covariates, categorical, reference)
    src = open_data(data)
    wanted = _columns(time, spec, covariates, strata, weights)
    prepared = None
    if src.kind == "parquet" and not categorical and strata is None and weights is None:
        with numbered(src):
            prepared = array_model_data(_read_arrays(src, wanted), time, spec, covariates,
                                        source=src.name)
    if prepared is not None:
        coded = _looks_coded(prepared, categorical)
        return replace(prepared, warnings=(*prepared.warnings, *coded)) if coded else prepared
    frame = read_frame(src, wanted, as_text=True)  # yes/no stays yes/no, 01 stays 01
    with numbered(src):
        prepared = frame_model_data(
            frame,
            time,
            spec,
            covariates,
            categorical=categorical,
            reference=parse_reference(reference),
            strata=strata,
            source=src.name,
            first_row=src.first_row,
            weights=weights,
        )
    coded = _looks_coded(prepared, categorical)
    return replace(prepared, warnings=(*prepared.warnings, *coded)) if coded else prepared


def _arguments(event: str | EventSpec, covariates: Sequence[str],
               categorical: Sequence[str]) -> tuple[EventSpec, list[str], list[str]]:
    """The event as a spec; covariates (first mention kept) and categorical columns as lists
    (a single column name is accepted for either)."""
    spec = event if isinstance(event, EventSpec) else EventSpec.parse(event)
    covs = [covariates] if isinstance(covariates, str) else list(dict.fromkeys(covariates))
    cats = [categorical] if isinstance(categorical, str) else list(categorical)
    return spec, covs, cats


def _columns(time: str, spec: EventSpec, covariates: Sequence[str],
             *optional: str | None) -> list[str]:
    """The columns to read, each once: time, event, covariates and the optional ones given."""
    return list(dict.fromkeys([time, spec.column, *covariates, *(c for c in optional if c)]))


def _read_arrays(src: Source, columns: Sequence[str]) -> dict[str, object]:
    """The columns of a typed file as NumPy arrays (masked where a value is NULL), read
    without pandas: the fast path of a Cox model on complete numeric columns."""
    from survstudy.engine.duckdb import check_columns, connect, quote_ident, source_columns

    con = connect()
    relation, names = source_columns(con, src)
    check_columns(src, names, {c: "" for c in columns})
    select = ", ".join(quote_ident(c) for c in columns)
    return dict(con.sql(f"SELECT {select} FROM {relation}").fetchnumpy())


#: A numeric covariate with this many distinct whole values or fewer looks like a coded
#: category (two values one apart, such as 0/1, are left alone: they fit exactly as a dummy).
FEW_VALUES = 5


def _looks_coded(prepared: ModelData, categorical: Sequence[str]) -> list[Problem]:
    """A warning per numeric covariate whose values look like category codes (grade 1/2/3):
    fitted as a number, it gets one hazard ratio per unit, which is rarely what was meant."""
    design = prepared.design
    out = []
    for j, (term, column) in enumerate(zip(design.terms, design.covariate_of, strict=True)):
        if column in categorical or term != column:
            continue
        values = np.unique(design.matrix[:, j])
        dummy = values.size == 2 and values[1] - values[0] == 1
        whole = bool(np.all(values == np.round(values)))
        if 1 < values.size <= FEW_VALUES and whole and not dummy:
            shown = ", ".join(str(int(v)) for v in values)
            out.append(Problem(
                f"'{column}' has only {values.size} distinct whole values ({shown}) and is "
                f"fitted as a number (one hazard ratio per unit); if these are codes of a "
                f"category, pass categorical=['{column}'] (--categorical {column})",
                column=column, severity="warning"))
    return out


def cox_regression(
    data: Data,
    time: str,
    event: str | EventSpec,
    covariates: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    reference: Mapping[str, str] | Sequence[str] | None = None,
    strata: str | None = None,
    ties: Ties = "efron",
    firth: bool = False,
    conf_level: float = 0.95,
    weights: str | None = None,
    robust: bool | None = None,
) -> CoxResult:
    """Cox proportional hazards regression of ``time``/``event`` on ``covariates``.

    ``categorical`` covariates are dummy coded against ``reference`` (``{"grade": "1"}`` or
    ``["grade=1"]``; default: first level); ``strata`` gives each stratum its own baseline
    hazard. Rows with a missing value are left out and counted. ``firth=True`` maximises
    Firth's penalized partial likelihood (profile-likelihood CIs, penalized LR p-values).
    ``weights`` names a column of case weights (rows missing it are left out); ``robust``
    asks for the sandwich variance (default: when a weight is not whole, as R).
    Raises :class:`survstudy.InputError` listing every problem in the data.
    """
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', not {ties!r}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be between 0 and 1, not {conf_level}")
    prepared = model_data(
        data,
        time,
        event,
        covariates,
        categorical=categorical,
        reference=reference,
        strata=strata,
        weights=weights,
    )
    if firth and weights is not None:
        raise ValueError("Firth's method does not take case weights; drop weights= or firth=True")
    if weights is not None or robust:
        return fit_cox(
            prepared,
            ties=ties,
            conf_level=conf_level,
            weights=prepared.weights,
            robust=robust,
            weights_label=weights or "weights",
        )
    if firth:
        from survstudy.stats.regression.firth import fit_firth

        return fit_firth(prepared, ties=ties, conf_level=conf_level)
    return fit_cox(prepared, ties=ties, conf_level=conf_level)


def prognostic_factors(
    data: Data,
    time: str,
    event: str | EventSpec,
    covariates: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    reference: Mapping[str, str] | Sequence[str] | None = None,
    strata: str | None = None,
    ties: Ties = "efron",
    firth: bool = False,
    select_p: float | None = None,
    conf_level: float = 0.95,
) -> PrognosticTables:
    """Univariable Cox model per covariate, then one multivariable model.

    ``select_p=None`` puts every covariate in the multivariable model; a number keeps those
    whose univariable factor p-value is below it. ``firth=True`` uses Firth's penalized
    likelihood throughout (profile CIs, penalized LR p-values).
    """
    spec, covariates, categorical = _arguments(event, covariates, categorical)
    categorical, reference = study_coding(data, covariates, categorical, reference)
    refs = parse_reference(reference)
    src = open_data(data)
    frame = read_frame(src, _columns(time, spec, covariates, strata))
    with numbered(src):
        return prognostic_tables(
            frame,
            time,
            spec,
            covariates,
            categorical=categorical,
            refs=refs,
            strata=strata,
            ties=ties,
            firth=firth,
            select_p=select_p,
            conf_level=conf_level,
            source=src.name,
            first_row=src.first_row,
        )

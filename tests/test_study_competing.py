"""Competing risks and IPTW in a study file (issues 17 and 18): the cause column derived from
dates (hand-worked, ties), the study-file keys and their errors, and a Rotterdam study whose
results.json numbers equal those of the public API on the same rows, and whose report has the
new sections."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import survstudy as ss
from survstudy.config.models import Endpoint
from survstudy.config.parse import parse_config
from survstudy.data.endpoints import (
    AT_CONTACT,
    COMPETING_EVENT,
    EVENT,
    EVENT_AFTER_CUTOFF,
    derive_select,
    endpoint_sql,
)
from survstudy.errors import InputError
from survstudy.study.analysis import report_study
from tests.test_endpoints import arr, config

ROTTERDAM = Path(ss.__file__).parent / "examples" / "rotterdam"
COVARIATES = ["age", "nodes", "size", "grade", "pgr", "er", "hormon", "chemo"]
CATEGORICAL = ["size", "grade", "hormon", "chemo"]
REFERENCE = {"size": "<=20", "grade": "2", "hormon": "no", "chemo": "no"}
PS_COVARIATES = ["age", "menopausal", "size", "grade", "nodes", "pgr", "er"]


# ------------------------------------------------------------------ cause from dates


def _derive(spec: Endpoint, dates: dict[str, Any]) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect()
    con.register("t", pd.DataFrame({f"{k}#d": v for k, v in dates.items()}))
    return con.sql(derive_select([endpoint_sql("rec", spec, config("days"))], "t")).df()


def test_cause_from_dates_first_date_wins_and_ties_go_to_the_event() -> None:
    spec = Endpoint(origin="start", events=["recurrence"], competing=["death"])
    dates = {
        "start": arr(*["2010-01-01"] * 6),
        "recurrence": arr("2010-03-01", "2010-09-01", "2010-05-01", None, None, "2012-06-01"),
        "death": arr("2010-08-01", "2010-06-01", "2010-05-01", "2010-04-01", None, "2012-07-01"),
        "contact": arr("2010-08-01", "2010-09-01", "2010-05-01", "2010-04-01", "2011-01-01",
                       "2012-07-01"),
    }
    out = _derive(spec, dates)
    assert out["rec_cause"].tolist() == [1, 2, 1, 2, 0, 0]
    assert out["rec_event"].tolist() == [1, 0, 1, 0, 0, 0]
    assert out["rec_time"].tolist() == [59, 151, 120, 90, 365, 728]
    assert out["rec#reason"].tolist() == [EVENT, COMPETING_EVENT, EVENT, COMPETING_EVENT,
                                          AT_CONTACT, EVENT_AFTER_CUTOFF]
    assert out["rec#endcol"].tolist() == ["recurrence", "death", "recurrence", "death",
                                          "contact", "cutoff"]


def test_no_cause_column_without_competing() -> None:
    spec = Endpoint(origin="start", events=["recurrence"])
    out = _derive(spec, {"start": arr("2010-01-01"), "recurrence": arr(None),
                         "contact": arr("2011-01-01")})
    assert "rec_cause" not in out.columns


# ------------------------------------------------------------------ study-file keys

BASE = '[data]\nsource = "x.csv"\nid = "id"\n'


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ('[adjustment]\ntreatment = "h"\ntreated = "y"\ncovariates = ["a", "h"]\n', 7,
         "adjustment.covariates[2]", "cannot also be a covariate"),
        ('[adjustment]\ntreatment = "h"\ntreated = "y"\ncovariates = ["a"]\nestimand = "atx"\n',
         8, "adjustment.estimand", "'ate' or 'att'"),
        ('[adjustment]\ntreatment = "h"\ntreated = "y"\ncovariates = ["a"]\n'
         "trim = [0.9, 0.1]\n", 8, "adjustment.trim", "lower first"),
        ('[adjustment]\ntreatment = "h"\ntreated = "y"\ncovarites = ["a"]\n', 7,
         "adjustment.covarites", "did you mean 'covariates'"),
        ('[adjustment]\ntreatment = "h"\ncovariates = ["a"]\n', 4, "adjustment.treated",
         "missing"),
        ('[endpoints.rec]\norigin = "s"\nevents = ["r"]\ncensor = "c"\ncompeting = ["r"]\n', 8,
         "endpoints.rec.competing[1]", "both the event and a competing"),
        ('[endpoints.rec]\ntime = "t"\nevent = "e"\ncompeting = []\n', 7,
         "endpoints.rec.competing", "name the competing"),
    ],
)
def test_bad_keys_name_line_and_key(text: str, line: int, key: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        parse_config(BASE + text)
    found = [p for p in info.value.problems if p.column == key]
    assert found, [str(p) for p in info.value.problems]
    assert found[0].row == line
    assert words in found[0].message


def test_good_keys_round_trip_through_dump() -> None:
    from survstudy.config.dump import dump_study_config

    text = (BASE + '[endpoints.rec]\ntime = "t"\nevent = "e"\ncompeting = ["d"]\n'
            '[adjustment]\ntreatment = "h"\ntreated = 1\ncovariates = ["a", "b"]\n'
            'estimand = "att"\nstabilize = true\ntrim = [0.01, 0.99]\n')
    c = parse_config(text).config
    assert c.endpoints["rec"].competing == ["d"]
    assert c.adjustment is not None
    assert c.adjustment.treated == "1"
    assert parse_config(dump_study_config(c)).config == c


# ------------------------------------------------------------------ a Rotterdam study

STUDY_EXTRA_ENDPOINT = """
[endpoints.recurrence]
label = "Recurrence"
time = "rfs_days"
event = "recurred"
competing = ["died"]
unit = "days"
"""

STUDY_ADJUSTMENT = """
[adjustment]
treatment = "hormon"
treated = "yes"
covariates = ["age", "menopausal", "size", "grade", "nodes", "pgr", "er"]
estimand = "ate"
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rotterdam")
    shutil.copy(ROTTERDAM / "registry.csv", folder / "registry.csv")
    text = (ROTTERDAM / "study.toml").read_text(encoding="utf-8")
    text = text.replace("\n[analysis]", "\n" + STUDY_EXTRA_ENDPOINT + "\n[analysis]", 1)
    text = text.replace('endpoints = ["rfs", "os"]', 'endpoints = ["rfs", "recurrence"]')
    (folder / "study.toml").write_text(text + STUDY_ADJUSTMENT, encoding="utf-8")
    out = folder / "report"
    report_study(folder / "study.toml", out)
    return out


@pytest.fixture(scope="module")
def results(report: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((report / "results.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """The registry with the cause and times in months, made here independently of the SQL."""
    data = pd.read_csv(ROTTERDAM / "registry.csv", dtype={"grade": str})
    data["t"] = data["rfs_days"] / 30.4375
    data["cause"] = np.where(data["recurred"] == 1, 1, np.where(data["died"] == 1, 2, 0))
    return data


def _close(a: Any, b: Any) -> None:
    assert a == pytest.approx(b, rel=1e-9, abs=1e-12)


def test_cif_and_gray_equal_the_api(results: dict[str, Any], frame: pd.DataFrame) -> None:
    (cr,) = results["competing_risks"]
    assert cr["name"] == "recurrence"
    assert cr["method"] == "Aalen-Johansen"
    landmarks = cr["landmarks"]
    assert landmarks == pytest.approx([12, 36, 60])
    api = ss.cumulative_incidence(frame, "t", "cause=1", "cause=2", by="grade")
    overall = ss.cumulative_incidence(frame, "t", "cause=1", "cause=2")
    assert cr["overall"]["events"] == 1518
    assert cr["overall"]["competing"] == 195
    for got, want in zip(cr["overall"]["at"], overall.summary(landmarks)[0]["at"], strict=True):
        for key in ("cif", "std_err", "ci_lower", "ci_upper", "n_risk"):
            _close(got[key], want[key])
    assert [g["group"] for g in cr["groups"]] == ["2", "3"]
    for got_g, want_g in zip(cr["groups"], api.summary(landmarks), strict=True):
        assert (got_g["n"], got_g["events"]) == (want_g["n"], want_g["events"])
        for got, want in zip(got_g["at"], want_g["at"], strict=True):
            for key in ("cif", "std_err", "ci_lower", "ci_upper"):
                _close(got[key], want[key])
    gray = ss.gray_test(frame, "t", "cause=1", "cause=2", by="grade")
    _close(cr["test"]["statistic"], gray.statistic)
    _close(cr["test"]["p_value"], gray.p_value)


def test_fine_gray_and_cause_specific_equal_the_api(results: dict[str, Any],
                                                    frame: pd.DataFrame) -> None:
    (cr,) = results["competing_risks"]
    fg = ss.fine_gray(frame, "t", "cause=1", "cause=2", COVARIATES, categorical=CATEGORICAL,
                      reference=REFERENCE)
    got = {t["term"]: t for t in cr["fine_gray"]["coefficients"]}
    assert set(got) == {t.term for t in fg.terms}
    for t in fg.terms:
        _close(got[t.term]["coef"], t.coef)
        _close(got[t.term]["se"], t.se)
    cs = ss.cause_specific_cox(frame, "t", "cause=1", "cause=2", COVARIATES,
                               categorical=CATEGORICAL, reference=REFERENCE)
    got_cs = {t["term"]: t for t in cr["cause_specific_cox"]["coefficients"]}
    for t in cs.terms:
        _close(got_cs[t.term]["coef"], t.coef)
        _close(got_cs[t.term]["se"], t.se)


def test_iptw_equals_the_api(results: dict[str, Any], frame: pd.DataFrame) -> None:
    adj = results["adjusted"]
    assert adj["endpoint"] == "rfs"
    assert adj["estimand"] == "ate"
    api = ss.iptw(frame, "hormon=yes", PS_COVARIATES, "t", "recurred_or_died",
                  categorical=["menopausal", "size", "grade"],
                  reference={"menopausal": "pre", "size": "<=20", "grade": "2"},
                  at=[12, 36, 60]).to_dict()
    for key in ("coef", "se_robust", "p_value"):
        _close(adj["cox"][key], api["cox"][key])
    _close(adj["test"]["statistic"], api["test"]["statistic"])
    for got, want in zip(adj["balance"], api["balance"], strict=True):
        assert got["term"] == want["term"]
        _close(got["smd_before"], want["smd_before"])
        _close(got["smd_after"], want["smd_after"])
    for got, want in zip(adj["weights"], api["weights"], strict=True):
        for key in ("n", "sum", "min", "max", "ess"):
            _close(got[key], want[key])
    for got, want in zip(adj["km"], api["km"], strict=True):
        for a, b in zip(got["at"], want["at"], strict=True):
            _close(a["survival"], b["survival"])
            _close(a["std_err"], b["std_err"])
    assert adj["balance_summary"]["balanced"] is False  # grade, nodes, size stay above 0.1


def test_report_has_the_new_sections(report: Path) -> None:
    import html as markup

    html = markup.unescape((report / "report.html").read_text(encoding="utf-8"))
    for text in ('id="competing-recurrence"', 'id="adjusted"', "Cumulative incidence of "
                 "recurrence", "Fine-Gray SHR", "Cause-specific HR", "Aalen-Johansen",
                 "Gray's test", "Covariate balance", "IPTW-adjusted hazard ratio",
                 "balance was not reached", "average treatment effect (ATE)"):
        assert text in html, text
    figures = {p.name for p in (report / "figures").glob("*.png")}
    assert {"cif-recurrence.png", "love-plot.png", "km-crude-rfs.png",
            "km-iptw-rfs.png"} <= figures
    # the competing-risks endpoint is shown by its cumulative incidence, not 1 - KM
    assert "recurrence-overall.png" not in figures


def test_derivation_log_gives_the_cause(report: Path) -> None:
    log = pd.read_csv(report / "derivation_log.csv")
    rec = log[log["endpoint"] == "recurrence"]
    assert rec["event"].value_counts().to_dict() == {0: 1269, 1: 1518, 2: 195}


def test_adjusted_section_speaks_in_labels(report: Path) -> None:
    """Balance rows, the love plot and the Results sentence name covariates and levels by their
    labels, never as model terms (``grade[T.3]``) or raw column = code."""
    import html as markup

    html = markup.unescape((report / "report.html").read_text(encoding="utf-8"))
    section = html[html.index('id="adjusted"'):]
    assert "[T." not in section
    assert "hormon = yes" not in html
    results_text = html[html.index('id="results"'):]
    assert "for hormonal therapy versus no hormonal therapy was" in results_text
    assert "Grade: Grade" not in html
    svg = (report / "figures" / "love-plot.svg")
    if svg.exists():
        assert "[T." not in svg.read_text(encoding="utf-8")

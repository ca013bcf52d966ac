"""Verdicts on the published numbers of the bundled seed study, with every typed note removed:
the tool must reach them from the data alone."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from survstudy.config.models import PublishedValue
from survstudy.study import load_study
from survstudy.study.analysis import StudyResults, analyse_study
from survstudy.study.verdicts import contradictions, same_quantity

EXAMPLE = Path(__file__).parents[1] / "src/survstudy/examples/liver_resection"


@pytest.fixture(scope="module")
def study_without_notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("liver")
    shutil.copy(EXAMPLE / "registry.csv", folder)
    text = re.sub(r"(?m)^note = .*\n", "", (EXAMPLE / "study.toml").read_text())
    assert "note =" not in text
    (folder / "study.toml").write_text(text)
    return folder / "study.toml"


@pytest.fixture(scope="module")
def results(study_without_notes: Path) -> StudyResults:
    return analyse_study(load_study(study_without_notes))


def _by_what(results: StudyResults) -> dict[str, dict[str, object]]:
    return {c.claim.what: c.to_dict() for c in results.claims}


def test_every_verdict_without_notes(results: StudyResults) -> None:
    verdicts = [c.verdict for c in results.claims]
    assert verdicts == [
        "outside-range", "outside-range", "contradicts",  # overall 1y, 3y, Discussion 3y
        "impossible", "reproduced",  # solitary 1y, 3y
        "reproduced", "reproduced", "contradicts", "contradicts",  # extrahepatic + Discussion
        "outside-range",  # log-rank p
        "differs", "differs", "reproduced",  # median, mean age, SD age
        "differs", "differs", "reproduced", "reproduced",  # N1, N2, well, HER2
        "not-derivable", "not-derivable",  # RFS
    ]
    assert verdicts.count("reproduced") == 6
    assert all(c.reason and c.claim.note is None for c in results.claims)


def test_reasons_are_worked_out(results: StudyResults) -> None:
    c = _by_what(results)
    solitary = c["1-year overall survival, solitary liver metastasis"]
    assert "all 7 patients" in str(solitary["reason"])
    assert solitary["attainable"] == {"min": 100.0, "max": 100.0}
    one = c["1-year overall survival, all 13 patients"]
    assert "64 death/censoring patterns" in str(one["reason"])
    assert "91.7%" in str(one["reason"])
    three = c["3-year overall survival, all 13 patients"]
    assert "41.9%, 46.6%, 47.1% or 52.4%" in str(three["reason"])
    assert three["contradicted_by"] == [2]
    p = c["Log-rank p, overall survival by metastatic pattern"]
    attainable = p["attainable"]
    assert isinstance(attainable, dict)
    assert round(attainable["min"], 4) == 0.0127
    assert round(attainable["max"], 3) == 0.188
    discussion = c["1-year overall survival, extrahepatic metastasis (Discussion)"]
    assert discussion["contradicted_by"] == [5]
    assert "80.0%" in str(discussion["reason"])
    assert "60.0%" in str(discussion["reason"])
    mean = c["Mean age, years"]
    assert "truncated" in str(mean["reason"])
    assert "51.077" in str(mean["reason"])
    median = c["Median overall survival"]
    assert "longest follow-up" in str(median["reason"])
    rfs = c["Log-rank p, recurrence-free survival by metastatic pattern"]
    assert "no endpoint 'rfs'" in str(rfs["reason"])


def _claim(value: float, **kw: object) -> PublishedValue:
    base: dict[str, object] = {"what": "x", "quantity": "survival", "endpoint": "os",
                               "at_years": 1, "value": value}
    return PublishedValue(**{**base, **kw})


def test_contradiction_pairing() -> None:
    a = _claim(80.0, group="extra", source="Results")
    b = _claim(60.0, group="extra", source="Discussion")
    c = _claim(80.0, group="extra")  # same value: no contradiction
    d = _claim(60.0, group="solitary")  # another group
    e = _claim(60.0, group="extra", at_years=3)  # another time
    f = _claim(60.0, group="extra", endpoint="rfs")  # another endpoint
    g = _claim(80.04, group="extra", decimals=2)  # 80.0 at the coarser precision
    assert same_quantity(a, b)
    assert not same_quantity(a, d)
    assert same_quantity(_claim(1.0), _claim(2.0, group="all"))
    assert contradictions([a, b, c, d, e, f, g]) == [(1,), (0, 2, 6), (1,), (), (), (), (1,)]
    lvl = PublishedValue(what="n", quantity="count", variable="n_stage", level="N1", value=2)
    other = PublishedValue(what="n", quantity="count", variable="n_stage", level="N2", value=5)
    assert contradictions([lvl, other]) == [(), ()]


def test_audit_command(study_without_notes: Path) -> None:
    exe = Path(sys.executable).with_name("survstudy")
    run = subprocess.run([str(exe), "audit", str(study_without_notes), "--json"],
                         capture_output=True, text=True, check=True)
    rows = json.loads(run.stdout)
    assert len(rows) == 19
    assert {"verdict", "reason", "attainable", "contradicted_by", "printed",
            "computed"} <= set(rows[0])
    text = subprocess.run([str(exe), "audit", str(study_without_notes)],
                          capture_output=True, text=True, check=True).stdout
    assert "6 reproduced" in text
    assert "impossible" in text


def test_one_scan_gives_each_claims_own_counts(results: StudyResults,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The counts of several claims (grouped with CASE WHEN) asked in one scan equal each
    claim's own ``WHERE`` query."""
    from survstudy.data.sql import lit
    from survstudy.study.load import COHORT
    from survstudy.study.verdicts import _grim_sql, _Scans

    study = results.study
    claims = [PublishedValue(what="p", quantity="percent", variable=v, level="x", value=1,
                             group=g)
              for v in ("n_stage", "her2", "histologic_grade") for g in (None, "solitary")]
    claims += [PublishedValue(what="m", quantity="mean", variable="age_years", value=1,
                              group=g) for g in (None, "extrahepatic")]
    queries: list[str] = []
    sql = study.engine.sql
    monkeypatch.setattr(study.engine, "sql", lambda s: queries.append(s) or sql(s))
    scans = _Scans(study)
    for c in claims:
        scans.announce(_grim_sql(results, c))
    got = [scans.get(_grim_sql(results, c)) for c in claims]
    assert len(queries) == 1
    for c, values in zip(claims, got, strict=True):
        where = "TRUE" if c.group is None else (
            f"{study.text(results.group or '')} = {lit(c.group)}")
        if c.quantity == "mean":
            x = f"TRY_CAST(\"{c.variable}\" AS DOUBLE)"
            want = sql(f"SELECT count({x}), coalesce(bool_and({x} = round({x})), FALSE) "
                       f"FROM {COHORT} WHERE {where}").fetchall()[0]
        else:
            want = sql(f"SELECT count({study.text(c.variable or '')}) FROM {COHORT} "
                       f"WHERE {where}").fetchall()[0]
        assert tuple(values) == want
    assert {values[0] for values in got[:6:2]} != {values[0] for values in got[1:6:2]}

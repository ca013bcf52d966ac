"""Methods and Results in the study's words: labels not column names, rates with CIs, deaths and
recurrences named, the Cox model told; the continuous-test rule chosen and said; the
reproduction table's verdicts and widths."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from survstudy.config.dump import dump_study_config
from survstudy.config.models import Analysis, StudyConfig
from survstudy.config.parse import load_config, parse_config
from survstudy.errors import InputError
from survstudy.report.build import build_document, group_labels
from survstudy.report.document import Paragraph, Section, Table
from survstudy.report.text import methods_paragraphs
from survstudy.report.text_claims import claims_table
from survstudy.report.text_results import ci_phrase, results_paragraphs
from survstudy.stats.characteristics.tests_continuous import (
    continuous_test,
    mann_whitney,
    student_t,
)
from survstudy.study import load_study
from survstudy.study.analysis import StudyResults, analyse_study

EXAMPLES = Path(__file__).parents[1] / "src" / "survstudy" / "examples"


def _copy(tmp: Path, name: str, rows: int | None = None, **analysis: object) -> Path:
    """The bundled example ``name`` in ``tmp``, its registry cut to ``rows`` rows and its
    ``[analysis]`` updated with ``analysis``."""
    shutil.copytree(EXAMPLES / name, tmp, dirs_exist_ok=True)
    if rows is not None:
        lines = (tmp / "registry.csv").read_text().splitlines(keepends=True)
        (tmp / "registry.csv").write_text("".join(lines[: rows + 1]))
    config = load_config(tmp / "study.toml").config
    new = config.model_copy(update={"analysis": config.analysis.model_copy(update=analysis)})
    (tmp / "study.toml").write_text(dump_study_config(new))
    return tmp / "study.toml"


def _text(results: StudyResults) -> tuple[str, str]:
    labels = group_labels(results)
    methods = " ".join(methods_paragraphs(results))
    return methods, " ".join(results_paragraphs(results, labels, {}))


@pytest.fixture(scope="module")
def rotterdam(tmp_path_factory: pytest.TempPathFactory) -> StudyResults:
    """400 Rotterdam patients: ready-made endpoints (RFS, OS) and a multivariable Cox model."""
    path = _copy(tmp_path_factory.mktemp("rotterdam"), "rotterdam", rows=400,
                 covariates=["age", "size", "grade", "pgr", "er"])
    return analyse_study(load_study(path))


@pytest.fixture(scope="module")
def liver() -> StudyResults:
    return analyse_study(load_study(EXAMPLES / "liver_resection" / "study.toml"))


def _raw_names(study_file: Path) -> set[str]:
    """Column names of the registry and study-file keys a reader must never see."""
    header = (study_file.parent / "registry.csv").read_text().splitlines()[0].split(",")
    config = load_config(study_file).config
    names = {c.strip() for c in header} | set(config.variables)
    for ep in config.endpoints.values():
        names |= {n for n in (ep.time, ep.event, ep.origin, *(ep.events or [])) if n}
    keys = {"show_ids", "continuous_test", "listing_max", "exact_below", "landmark_years"}
    # names that are ordinary words ("age", "grade") cannot be told from prose: check the rest
    return {n for n in names if "_" in n} | keys


@pytest.mark.parametrize("which", ["liver", "rotterdam"])
def test_text_has_no_raw_column_name_or_key(which: str, request: pytest.FixtureRequest) -> None:
    results: StudyResults = request.getfixturevalue(which)
    name = "liver_resection" if which == "liver" else "rotterdam"
    methods, text = _text(results)
    raw = _raw_names(EXAMPLES / name / "study.toml")
    assert "rfs_days" in raw or "death_date" in raw  # the check can fail
    for word in raw:
        assert not re.search(rf"\b{re.escape(word)}\b", methods + " " + text), word
    assert not re.search(r"'\w+'", methods + text)  # no quoted column name
    # the document's own Methods, Results and notes too
    doc = build_document(results)
    prose = " ".join(b.text for s in doc.sections for b in _blocks(s) if isinstance(b, Paragraph))
    assert "show_ids" not in prose


def _blocks(section: Section) -> list[object]:
    out: list[object] = []
    for b in section.blocks:
        out += _blocks(b) if isinstance(b, Section) else [b]
    return out


def test_results_name_deaths_give_cis_and_split_by_endpoint(liver: StudyResults,
                                                            rotterdam: StudyResults) -> None:
    _, text = _text(liver)
    assert "6 deaths were observed" in text
    assert " events " not in text
    # 1- and 3-year rates overall and for two groups, each with its interval
    assert text.count("95% CI") == 1 + 2 + 2 * 2
    assert "NR" not in text
    assert ") (" not in text
    assert "log-rank p = 0.058, exact p = 0.071" in text
    paragraphs = results_paragraphs(rotterdam, group_labels(rotterdam), {"rfs:grade": 2})
    assert paragraphs[0].startswith("Recurrence-free survival. ")
    assert paragraphs[1].startswith("Overall survival. ")
    assert "recurrences or deaths were observed" in paragraphs[0]
    assert "deaths were observed" in paragraphs[1]
    assert "(log-rank p" in paragraphs[0]
    assert "; Fig. 2)" in paragraphs[0]


def test_results_tell_the_multivariable_cox_model(rotterdam: StudyResults) -> None:
    cox = results_paragraphs(rotterdam, group_labels(rotterdam), {})[-1]
    p = rotterdam.prognostic
    assert p is not None
    assert p.multivariable
    assert cox.startswith("In the multivariable ")
    assert "Cox model of recurrence-free survival (400 patients, " in cox
    assert cox.count("HR ") == len(p.multivariable)
    assert cox.count("95% CI") == len(p.multivariable)
    assert "age (per 10 years), HR" in cox
    assert "tumour size 20–50 mm versus ≤ 20 mm" in cox
    assert "; grade 3 versus grade 2, HR" in cox  # not "grade Grade 3"
    assert "recurrences or deaths)" in cox


def test_methods_speak_in_labels(rotterdam: StudyResults) -> None:
    methods, _ = _text(rotterdam)
    assert ("Recurrence-free survival (time to recurrence or death) was taken as recorded in "
            "the registry, in days") in methods
    assert "Overall survival (time to death)" in methods


def test_ci_phrase_never_reads_nr_nr() -> None:
    assert ci_phrase(None, None) == "95% CI not estimable"
    assert ci_phrase(12.0, 12.0) == "95% CI not estimable"  # a group of one
    assert ci_phrase(12.5, None) == "95% CI 12.5 to not reached"
    assert ci_phrase(0.5, 0.75, "percent") == "95% CI 50.0–75.0"


# ---- continuous_test: the rule ---------------------------------------------------------------

NORMAL = [np.array([4.9, 5.1, 5.0, 4.8, 5.2, 5.05]), np.array([5.6, 5.4, 5.5, 5.7, 5.3, 5.45, 5.5])]
SKEWED = [np.array([1.0, 1.1, 1.2, 1.05, 1.15, 9.0]), np.array([2.0, 2.1, 2.2, 2.05, 2.15, 2.3])]


@pytest.mark.parametrize(
    ("rule", "normal_test", "skewed_test"),
    [("auto", "t-test", "mann-whitney"), ("nonparametric", "mann-whitney", "mann-whitney"),
     ("parametric", "t-test", "t-test")],
)
def test_continuous_rule_picks_the_test(rule: str, normal_test: str, skewed_test: str) -> None:
    for samples, expected in ((NORMAL, normal_test), (SKEWED, skewed_test)):
        result, normality = continuous_test(samples, ["a", "b"], rule=rule)  # type: ignore[arg-type]
        assert result.test == expected, (rule, samples)
        assert all(n is not None and n.p_value is not None for n in normality)  # still recorded
        p = (student_t(*samples)[2] if expected == "t-test" else mann_whitney(*samples)[1])
        assert result.p_value == p  # the numbers do not depend on who chose the test


def test_continuous_rule_for_three_groups_and_bad_rule() -> None:
    three = [*SKEWED, np.array([3.0, 3.1, 3.3, 3.2])]
    assert continuous_test(three, "abc", rule="parametric")[0].test == "anova"
    assert continuous_test(three, "abc", rule="nonparametric")[0].test == "kruskal-wallis"
    assert continuous_test(NORMAL, "ab", force="welch", rule="nonparametric")[0].test == "welch"
    with pytest.raises(ValueError, match="continuous test rule"):
        continuous_test(NORMAL, "ab", rule="rank")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule", "test", "said"),
    [("auto", "t-test", "with Student's t test if both groups passed a Shapiro-Wilk test of "
      "normality at 0.05, otherwise with the Mann-Whitney U test"),
     ("nonparametric", "mann-whitney", "with the Mann-Whitney U test (exact when both groups had "
      "under 50 values and no ties, otherwise by the normal approximation), which assumes no "
      "normal distribution"),
     ("parametric", "t-test", "with Student's t test, assuming normally distributed values")],
)
def test_study_file_rule_reaches_table_and_methods(tmp_path: Path, rule: str, test: str,
                                                   said: str) -> None:
    results = analyse_study(load_study(_copy(tmp_path, "liver_resection",
                                             continuous_test=rule)))
    table = results.characteristics
    assert table is not None
    assert table.continuous_rule == rule
    assert table.to_dict()["continuous_rule"] == rule
    assert table.row("age_years").test.test == test
    methods, _ = _text(results)
    assert "Continuous characteristics were compared " + said in methods


def test_continuous_test_key_round_trips_and_is_checked() -> None:
    config = load_config(EXAMPLES / "liver_resection" / "study.toml").config
    for rule in ("nonparametric", "parametric"):
        new: StudyConfig = config.model_copy(
            update={"analysis": config.analysis.model_copy(update={"continuous_test": rule})})
        text = dump_study_config(new)
        assert f'continuous_test = "{rule}"' in text
        assert parse_config(text).config.analysis.continuous_test == rule
    assert "continuous_test" not in dump_study_config(config)  # the default is left out
    assert Analysis().continuous_test == "auto"
    with pytest.raises(InputError):
        parse_config(dump_study_config(config).replace(
            "[analysis]", '[analysis]\ncontinuous_test = "rank"'))


def test_claims_table_says_cannot_be_checked_and_gives_why_room(liver: StudyResults) -> None:
    table: Table = claims_table(liver, 4)
    assert len(table.widths) == len(table.header[0])
    assert abs(sum(table.widths) - 1) < 1e-9
    assert max(table.widths) == table.widths[-1]  # "Why" is the widest column
    verdicts = {row[4].text for row in table.rows}
    assert "No" not in verdicts
    assert "no" not in verdicts
    whys = [row[5].text for row in table.rows]
    assert all(w.endswith(".") and ") (" not in w for w in whys)


def test_why_column_gets_its_width_in_word_and_html(liver: StudyResults, tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    from survstudy.report.document import Document
    from survstudy.report.docx import _column_widths, write_docx
    from survstudy.report.html import render_html

    table = claims_table(liver, 4)
    doc = Document("Study", "", (Section("Published", (table,), id="published"),))
    write_docx(doc, tmp_path / "r.docx")
    word = docx.Document(str(tmp_path / "r.docx")).tables[0]
    widths = [c.width for c in word.columns]
    assert widths[-1] == max(widths)
    assert widths[-1] > 0.3 * sum(widths)  # the prose column is not squeezed (fitted: 21%)
    words = _column_widths(table, len(widths), 0, 9.0)  # each column's longest word
    # stored in twips (635 EMU): "Print-ed" never
    assert all(w >= lo - 635 for w, lo in zip(widths, words, strict=True))
    html = render_html(doc)
    assert '<colgroup><col style="width: 19.0%">' in html
    assert '<col style="width: 41.0%"></colgroup>' in html


def test_api_takes_the_rule(tmp_path: Path) -> None:
    import pandas as pd

    from survstudy import characteristics_table

    frame = pd.DataFrame({"g": ["a"] * 6 + ["b"] * 7,
                          "x": np.r_[NORMAL[0], NORMAL[1]]})
    auto = characteristics_table(frame, "g", continuous=["x"])
    rank = characteristics_table(frame, "g", continuous=["x"], continuous_rule="nonparametric")
    assert auto.row("x").test.test == "t-test"
    assert rank.row("x").test.test == "mann-whitney"
    assert rank.continuous_rule == "nonparametric"

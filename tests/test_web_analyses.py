"""The app's further analyses: competing risks and the adjusted comparison (issues 17, 18).

The forms' choices become the study file's ``competing`` and ``[adjustment]`` keys, and the
results panels show the report's own blocks (the same tables and figures as the Word report).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from htmltools import TagList

from survstudy.config.parse import parse_config
from survstudy.web import analyses, layout, panels
from survstudy.web.choices import Choices, build_config, choices_from_config
from survstudy.web.pipeline import Outcome, run_analysis, study_file_text
from survstudy.web.preview import read_preview
from survstudy.web.session import SessionFolder, Workspace

ROTTERDAM = Path(__file__).parents[1] / "src" / "survstudy" / "examples" / "rotterdam"
LIVER = ROTTERDAM.parent / "liver_resection"

#: Ready-made Rotterdam recurrence with death as competing event (the study file's comment).
RECURRENCE = Choices(
    id_column="pid",
    mode="ready",
    time_column="rfs_days",
    event_column="recurred",
    event_codes=("1",),
    competing_column="died",
    competing_codes=("1",),
    outcome="Recurrence",
    group="hormon",
    landmark_years=(1.0, 3.0),
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> SessionFolder:
    ws = Workspace(tmp_path_factory.mktemp("ws"))
    yield ws.new_session()
    ws.remove()


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every fifth Rotterdam patient (enough for every model, quick to analyse; the file is
    sorted by outcome, so not the first rows)."""
    header, *rows = (ROTTERDAM / "registry.csv").read_text().splitlines()
    path = tmp_path_factory.mktemp("data") / "registry.csv"
    path.write_text("\n".join([header, *rows[::5]]) + "\n")
    return path


def _run(folder: SessionFolder, registry: Path, choices: Choices) -> Outcome:
    stored = folder.store_copy(registry, "registry.csv")
    config = build_config(choices, source="registry.csv", preview=read_preview(stored.path))
    outcome = run_analysis(folder, config, stored)
    assert outcome.errors == (), [p.message for p in outcome.errors]
    return outcome


# ---- choices → study file ----------------------------------------------------------------


def test_competing_choices_make_the_study_file_key() -> None:
    ready = build_config(RECURRENCE, source="registry.csv")
    assert ready.endpoints["recurrence"].competing == ["died=1"]
    same_column = Choices(
        id_column="id", mode="ready", time_column="t", event_column="status",
        event_codes=("1",), competing_column="status", competing_codes=("2",),
    )  # fmt: skip
    ep = next(iter(build_config(same_column, source="r.csv").endpoints.values()))
    assert (ep.event, ep.competing) == ("status=1", ["status=2"])
    dates = Choices(
        id_column="patient_id", origin="liver_resection_date", event_dates=("recurrence_date",),
        competing_dates=("death_date",), last_contact="last_contact_date", outcome="Recurrence",
    )  # fmt: skip
    ep = build_config(dates, source="r.csv").endpoints["recurrence"]
    assert (ep.events, ep.competing) == (["recurrence_date"], ["death_date"])
    # a competing date chosen in the other mode is not carried into this one
    assert build_config(
        Choices(**{**RECURRENCE.__dict__, "competing_dates": ("x",), "competing_column": ""}),
        source="r.csv",
    ).endpoints["recurrence"].competing is None


def test_adjustment_choices_make_the_section_only_when_complete() -> None:
    assert build_config(RECURRENCE, source="r.csv").adjustment is None
    partial = Choices(**{**RECURRENCE.__dict__, "treatment": "hormon"})
    assert build_config(partial, source="r.csv").adjustment is None
    assert "which value of the treatment column means treated" in partial.missing()
    full = Choices(
        **{**RECURRENCE.__dict__, "treatment": "hormon", "treated": "yes",
           "confounders": ("age", "hormon", "grade"), "estimand": "att"}
    )  # fmt: skip
    adj = build_config(full, source="r.csv").adjustment
    assert adj is not None
    assert (adj.treatment, adj.treated, adj.covariates, adj.estimand) == (
        "hormon", "yes", ["age", "grade"], "att"
    )  # the treatment is never its own confounder


def test_the_downloaded_study_file_round_trips_through_the_forms() -> None:
    full = Choices(
        **{**RECURRENCE.__dict__, "treatment": "hormon", "treated": "yes",
           "confounders": ("age", "grade")}
    )  # fmt: skip
    config = build_config(full, source="registry.csv")
    parsed = parse_config(study_file_text(config, "registry.csv")).config
    assert parsed.endpoints == config.endpoints
    assert parsed.adjustment == config.adjustment
    again = choices_from_config(parsed)
    assert (again.competing_column, again.competing_codes) == ("died", ("1",))
    assert (again.treatment, again.treated) == ("hormon", "yes")
    assert again.confounders == ("age", "grade")


def test_the_page_offers_the_new_controls() -> None:
    html = str(layout.page())
    for control in ("competing_dates", "competing_column", "competing_codes", "treatment",
                    "treated", "confounders", "estimand"):  # fmt: skip
        assert f'id="{control}"' in html, control
    tabs = str(TagList(layout.results_tabs()))
    assert 'id="competing"' in tabs
    assert 'id="adjusted"' in tabs


# ---- the results shown are the report's own blocks ---------------------------------------


def test_competing_risks_panel_shows_the_reports_cif_figure_tables_and_gray_test(
    folder: SessionFolder, registry: Path
) -> None:
    o = _run(folder, registry, Choices(**{**RECURRENCE.__dict__, "covariates": ("age", "grade")}))
    assert analyses.is_competing(o)
    assert o.results is not None
    assert o.document is not None
    (cr,) = o.results.competing
    assert cr.gray is not None
    html = str(analyses.competing(o))
    tables = {t.id: t for t in o.document.tables()}
    for table in ("cif-recurrence", "finegray-recurrence"):
        assert f'id="table-{table}"' in html
        for row in tables[table].rows:  # every cell as the report prints it
            for cell in row:
                assert str(tags_text(cell.text)) in html
    (figure,) = [f for f in o.document.figures() if f.id == "cif-recurrence"]
    assert figure.caption in html
    assert "Gray" in figure.caption
    boxes = str(analyses.competing_boxes(o))
    assert "Gray&#39;s test" in boxes or "Gray's test" in boxes
    assert "Competing events" in boxes
    assert "Median survival" not in boxes
    # no Kaplan-Meier log-rank panel for a competing endpoint: Gray's test replaces it
    assert not any(f.id.startswith("recurrence-by") for f in o.document.figures())


def test_without_a_competing_event_there_is_no_competing_panel(
    folder: SessionFolder, registry: Path
) -> None:
    plain = Choices(**{**RECURRENCE.__dict__, "competing_column": "", "competing_codes": ()})
    o = _run(folder, registry, plain)
    assert not analyses.is_competing(o)
    assert analyses.competing(o) is None
    assert "Choose a treatment" in str(analyses.adjusted(o))


def test_adjusted_panel_shows_balance_love_plot_weighted_km_and_adjusted_hr(
    folder: SessionFolder, registry: Path
) -> None:
    choices = Choices(
        id_column="pid", mode="ready", time_column="os_days", event_column="died",
        event_codes=("1",), outcome="Overall survival", treatment="hormon", treated="yes",
        confounders=("age", "grade", "nodes"), landmark_years=(1.0, 3.0),
    )  # fmt: skip
    o = _run(folder, registry, choices)
    assert o.results is not None
    assert o.results.adjusted is not None
    assert o.document is not None
    html = str(analyses.adjusted(o))
    for table in ("weights", "balance", "adjusted-hr"):
        assert f'id="table-{table}"' in html, table
    figures = {f.id: f for f in o.document.figures()}
    for fig in ("love-plot", "km-crude-os", "km-iptw-os"):
        assert figures[fig].caption in html, fig
    hr = next(t for t in o.document.tables() if t.id == "adjusted-hr")
    assert all(tags_text(c.text) in html for row in hr.rows for c in row)


def test_an_analysis_the_data_cannot_support_is_said_in_its_place(folder: SessionFolder) -> None:
    """13 liver patients without a recurrence: a Cox model of recurrence is impossible; the
    report is still written and the app's Cox panel says why, never a fault in survstudy."""
    stored = folder.store_copy(LIVER / "registry.csv", "registry.csv")
    choices = Choices(
        id_column="patient_id", origin="liver_resection_date", event_dates=("recurrence_date",),
        competing_dates=("death_date",), last_contact="last_contact_date",
        cutoff=dt.date(2011, 12, 30), outcome="Recurrence", covariates=("age_years",),
    )  # fmt: skip
    o = run_analysis(folder, build_config(choices, source="registry.csv"), stored)
    assert not o.errors
    assert all("fault in survstudy" not in p.message for p in o.problems)
    assert o.results is not None
    assert o.results.prognostic is None
    note = o.results.prognostic_note
    assert note is not None
    assert "none of the 13 patients analysed had an event" in note
    assert note in str(panels.cox_tables(o))


def tags_text(text: str) -> str:
    """``text`` as htmltools escapes it inside the page."""
    from htmltools import tags

    return str(tags.span(text))[len("<span>") : -len("</span>")]

"""End to end in headless Chromium: upload the seed cohort, map its columns, read the results,
download the report and check it matches ``survstudy report`` on the downloaded study file.

Uses Debian's Chromium (``apt-get install chromium``) through Playwright's Python package;
no browser is downloaded. Set ``SURVSTUDY_SCREENSHOTS=docs/img`` to save the documentation's
screenshots while the test runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_web_support import RunningApp, running_app

CHROMIUM = Path("/usr/lib/chromium/chromium")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
EXAMPLES = Path(__file__).parents[1] / "src" / "survstudy" / "examples"
REGISTRY = EXAMPLES / "liver_resection" / "registry.csv"
SHOTS = os.environ.get("SURVSTUDY_SCREENSHOTS")

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)",
    ),
    # pytest-base-url (a pytest-playwright dependency) defines its fixture the old way
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]
playwright_sync = pytest.importorskip("playwright.sync_api")
controller = pytest.importorskip("shiny.playwright.controller")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium directly, headless and quiet (no downloads, no network)."""
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "viewport": {"width": 1400, "height": 1600},
        "accept_downloads": True,
    }


@pytest.fixture
def app(tmp_path: Path) -> Iterator[RunningApp]:
    with running_app(tmp_path / "tmp") as running:
        yield running


def _shot(page: Any, name: str, height: int = 1600) -> None:
    """Save a screenshot for the docs (PNG with a 256-colour palette, to stay small)."""
    if not SHOTS:
        return
    from PIL import Image

    path = Path(SHOTS) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)  # let the last redraw settle
    page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": 1400, "height": height})
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def _strip_paths(value: Any) -> Any:
    """results.json without what differs between runs by place only (paths of files)."""
    if isinstance(value, dict):
        return {k: _strip_paths(v) for k, v in value.items() if k not in ("study_file", "file")}
    if isinstance(value, list):
        return [_strip_paths(v) for v in value]
    return value


def _map_columns_like_the_bundled_study(page: Any) -> None:
    controller.InputSelect(page, "id_column").set("patient_id", timeout=60_000)
    controller.InputRadioButtons(page, "mode").set("dates")
    controller.InputSelect(page, "origin").set("liver_resection_date", timeout=60_000)
    controller.InputSelectize(page, "event_dates").set(["death_date"], timeout=60_000)
    controller.InputSelect(page, "last_contact").set("last_contact_date", timeout=60_000)
    controller.InputCheckbox(page, "use_cutoff").set(True)
    controller.InputDate(page, "cutoff").set("2011-12-30")
    controller.InputText(page, "outcome").set("Overall survival")
    controller.InputRadioButtons(page, "time_unit").set("months")


def test_upload_map_analyse_and_download(page: Any, app: RunningApp, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(app.url)
    expect(page.get_by_text("A survival study from your registry")).to_be_visible()
    _shot(page, "web-1-start", height=800)

    page.set_input_files("#upload", str(REGISTRY))
    expect(page.locator("#data_summary")).to_contain_text("13 rows", timeout=60_000)
    _map_columns_like_the_bundled_study(page)
    expect(page.locator("#logrank")).to_contain_text("choose a grouping", timeout=60_000)
    _shot(page, "web-2-columns")

    controller.InputSelect(page, "group").set("group", timeout=60_000)
    controller.InputSelectize(page, "characteristics").set(
        ["age_years", "sex", "er"], timeout=60_000
    )
    controller.InputCheckboxGroup(page, "landmarks").set(["1", "3"])
    controller.InputText(page, "title").set("Liver resection for breast-cancer metastases")

    logrank = page.locator("#logrank-text")
    expect(logrank).to_contain_text("Log-rank p = 0.058", timeout=60_000)
    expect(page.locator("#km_figure img")).to_have_attribute(
        "src", re.compile(r"^data:image/png;base64,")
    )
    table = page.locator("#survival_table table")
    expect(table).to_contain_text("1-year survival")
    expect(table).to_contain_text("Extrahepatic")
    expect(page.locator("#status")).to_contain_text("up to date")
    _shot(page, "web-3-survival")

    page.get_by_role("tab", name="Data checks").click()
    expect(page.locator("#checks")).to_be_visible()
    page.get_by_role("tab", name="Patient characteristics").click()
    expect(page.locator("#characteristics_table")).not_to_be_empty()
    _shot(page, "web-6-characteristics")
    page.get_by_role("tab", name="Study file").click()
    expect(page.locator("#study_file pre")).to_contain_text('source = "registry.csv"')
    _shot(page, "web-5-study-file")
    page.get_by_role("tab", name="Survival").click()

    with page.expect_download() as got:
        page.locator("#download_zip").click()
    assert got.value.suggested_filename == "liver-resection-for-breast-cancer-metastases-report.zip"
    zipped = tmp_path / "report.zip"
    got.value.save_as(zipped)
    with page.expect_download() as got:
        page.locator("#download_toml").click()
    assert got.value.suggested_filename == "study.toml"
    study_toml = tmp_path / "downloaded-study.toml"
    got.value.save_as(study_toml)

    # nothing was fetched from anywhere but the app itself
    foreign = [u for u in requests if not u.startswith((app.url, "data:", "blob:"))]
    assert foreign == []

    with zipfile.ZipFile(zipped) as zf:
        names = set(zf.namelist())
        assert {
            "report/report.html",
            "report/report.docx",
            "report/results.json",
            "report/manifest.json",
            "study.toml",
            "README.txt",
        } <= names
        assert any(n.startswith("report/figures/os-by-group") for n in names)
        app_results = json.loads(zf.read("report/results.json"))
        assert zf.read("study.toml").decode("utf-8") == study_toml.read_text("utf-8")

    # the downloaded study file, beside the registry, run as `survstudy report` runs it
    from survstudy.report.write import write_report
    from survstudy.study import load_study
    from survstudy.study.analysis import analyse_study

    folder = tmp_path / "rerun"
    folder.mkdir()
    shutil.copy(study_toml, folder / "study.toml")
    shutil.copy(REGISTRY, folder / "registry.csv")
    written = write_report(analyse_study(load_study(folder / "study.toml")), folder / "out")
    cli_results = json.loads(written["results.json"].read_text("utf-8"))
    assert _strip_paths(app_results) == _strip_paths(cli_results)

    # and the survival numbers are those of the bundled study file the columns were mapped like
    bundled = analyse_study(load_study(EXAMPLES / "liver_resection" / "study.toml")).to_dict()
    ours, theirs = app_results["endpoints"][0], bundled["endpoints"][0]
    assert ours["overall"] == json.loads(json.dumps(theirs["overall"]))
    assert ours["comparisons"][0]["test"]["p_value"] == pytest.approx(
        theirs["comparisons"][0]["test"]["p_value"], rel=1e-12
    )


def test_example_and_data_problems_are_listed_with_row_and_column(
    page: Any, app: RunningApp, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    broken = tmp_path / "broken registry.csv"
    lines = REGISTRY.read_text("utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")  # S3, user row 4
    row[header.index("death_date")] = "2001-01-01"  # before the liver resection
    row[header.index("died")] = "1"
    lines[3] = ",".join(row)
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")

    page.goto(app.url)
    page.set_input_files("#upload", str(broken))
    expect(page.locator("#data_summary")).to_contain_text("broken registry.csv", timeout=60_000)
    _map_columns_like_the_bundled_study(page)
    expect(page.locator("#status")).to_contain_text("must be fixed", timeout=60_000)
    page.get_by_role("tab", name="Data checks").click()
    checks = page.locator("#checks table")
    expect(checks).to_contain_text("Must fix")
    first = checks.locator("tbody tr").first
    expect(first).to_contain_text("death_date")
    expect(first.locator("td").nth(1)).to_have_text("4")
    expect(page.locator("#download_zip")).to_have_count(0)  # no report from bad data
    _shot(page, "web-4-checks")

    controller.InputSelect(page, "example").set("liver_resection", timeout=60_000)
    page.locator("#open_example").click()
    expect(page.locator("#status")).to_contain_text("up to date", timeout=60_000)
    page.get_by_role("tab", name="Survival").click()
    expect(page.locator("#logrank-text")).to_contain_text("Log-rank p = 0.058")
    expect(page.locator("#data_summary")).to_contain_text("registry.csv")
    controller.InputSelect(page, "group").expect_selected("group")


def test_long_analysis_shows_progress_and_the_server_keeps_answering(
    page: Any, app: RunningApp
) -> None:
    from playwright.sync_api import expect

    page.goto(app.url)
    controller.InputSelect(page, "example").set("rotterdam", timeout=60_000)
    page.locator("#open_example").click()
    controller.InputRadioButtons(page, "mode").expect_selected("ready", timeout=30_000)
    controller.InputSelect(page, "time_column").expect_selected("rfs_days")
    # drawing the figures of 2982 patients takes seconds: a progress bar says what is going on
    message = page.locator("#shiny-notification-panel .progress-message")
    expect(message).to_have_text("Drawing the figures", timeout=60_000)
    # meanwhile the server still answers (the analysis runs in a worker thread)
    assert page.evaluate("fetch('/').then(r => r.status)") == 200
    expect(message).to_have_text("Drawing the figures")
    expect(page.locator("#status")).to_contain_text("up to date", timeout=120_000)
    expect(page.locator("#shiny-notification-panel .progress-message")).to_have_count(0)
    expect(page.locator("#logrank-text")).to_contain_text("Log-rank p")
    expect(page.locator("#survival_table")).to_contain_text("Grade 3")
    _shot(page, "web-7-ready-made-times")
    page.get_by_role("tab", name="Full report").click()
    expect(page.frame_locator("iframe.report-preview").locator("h1")).to_contain_text(
        "Rotterdam", timeout=30_000
    )
    _shot(page, "web-8-full-report")


def test_group_characteristic_stale_results_and_a_bad_upload(
    page: Any, app: RunningApp, tmp_path: Path
) -> None:
    """Issue 14: grouping by a listed characteristic works (with a note); incomplete choices
    clear the results and the download; a binary file gets a plain message naming it."""
    from playwright.sync_api import expect

    page.goto(app.url)
    controller.InputSelect(page, "example").set("liver_resection", timeout=60_000)
    page.locator("#open_example").click()
    expect(page.locator("#status")).to_contain_text("up to date", timeout=60_000)
    controller.InputSelect(page, "group").set("histologic_grade", timeout=60_000)
    expect(page.locator("#logrank-text")).to_contain_text("Log-rank", timeout=60_000)
    expect(page.locator("#status")).to_contain_text("up to date")
    page.get_by_role("tab", name="Data checks").click()
    expect(page.locator("#checks")).to_contain_text(
        "not also listed as a characteristic", timeout=90_000
    )
    page.get_by_role("tab", name="Survival").click()
    expect(page.locator("#km_figure img")).to_have_count(1)
    expect(page.locator("#km_figure a[download$='.svg']")).to_have_count(1)

    # a choice undone: nothing stale stays
    controller.InputSelect(page, "origin").set("", timeout=60_000)
    expect(page.locator("#status")).to_contain_text("Still to choose", timeout=30_000)
    expect(page.locator("#km_figure img")).to_have_count(0)
    expect(page.locator("#download_zip")).to_have_count(0)
    expect(page.locator("#logrank-text")).to_have_count(0)

    binary = tmp_path / "scan.csv"
    binary.write_bytes(bytes(range(256)) * 16)
    page.set_input_files("#upload", str(binary))
    alert = page.locator("#data_summary .alert-danger")
    expect(alert).to_contain_text("'scan.csv' is not a text (CSV) file")
    expect(alert).not_to_contain_text("Line")


def test_competing_risks_and_adjusted_comparison(
    page: Any, app: RunningApp, tmp_path: Path
) -> None:
    """Issues 17 and 18 in the app: recurrence with death competing, then hormonal therapy
    compared with IPTW; the panels show the report's own blocks."""
    from playwright.sync_api import expect

    header, *rows = (EXAMPLES / "rotterdam" / "registry.csv").read_text().splitlines()
    registry = tmp_path / "rotterdam.csv"  # every fifth patient: quick, with every outcome
    registry.write_text("\n".join([header, *rows[::5]]) + "\n")
    page.goto(app.url)
    page.set_input_files("#upload", str(registry))
    expect(page.locator("#data_summary")).to_contain_text("597 rows", timeout=60_000)
    controller.InputSelect(page, "id_column").set("pid", timeout=60_000)
    controller.InputRadioButtons(page, "mode").set("ready")
    controller.InputSelect(page, "time_column").set("rfs_days", timeout=60_000)
    controller.InputSelect(page, "time_column_unit").set("days", timeout=60_000)
    controller.InputSelect(page, "event_column").set("recurred", timeout=60_000)
    controller.InputSelectize(page, "event_codes").set(["1"], timeout=60_000)
    controller.InputSelect(page, "competing_column").set("died", timeout=60_000)
    controller.InputSelectize(page, "competing_codes").set(["1"], timeout=60_000)
    controller.InputText(page, "outcome").set("Recurrence")
    controller.InputSelect(page, "group").set("hormon", timeout=60_000)
    controller.InputCheckboxGroup(page, "landmarks").set(["1", "3", "5"])
    competing = page.locator("#competing")
    expect(competing).to_contain_text("Cumulative incidence of recurrence", timeout=90_000)
    expect(competing).to_contain_text("Gray's test")
    expect(page.locator("#competing img").first).to_have_attribute(
        "src", re.compile(r"^data:image/png;base64,")
    )
    expect(page.locator("#logrank")).to_be_empty()  # Gray's test replaces the log-rank
    controller.InputSelectize(page, "covariates").set(["age", "grade"], timeout=60_000)
    expect(page.locator("#table-finegray-recurrence")).to_contain_text(
        "Fine-Gray", timeout=90_000
    )
    _shot(page, "web-9-competing-risks")

    controller.InputSelect(page, "group").set("", timeout=60_000)
    controller.InputSelectize(page, "covariates").set([], timeout=60_000)
    page.get_by_role("button", name="4 · Adjusted comparison (optional)").click()
    controller.InputSelect(page, "treatment").set("hormon", timeout=60_000)
    expect(page.locator("#treated")).to_have_value("yes")  # the plain "yes" is proposed
    controller.InputSelectize(page, "confounders").set(["age", "grade", "nodes"], timeout=60_000)
    page.get_by_role("tab", name="Adjusted comparison").click()
    adjusted = page.locator("#adjusted")
    expect(adjusted).to_contain_text("IPTW-adjusted hazard ratio", timeout=90_000)
    expect(page.locator("#table-balance")).to_contain_text("before")
    expect(page.locator("#adjusted img")).to_have_count(3)  # love plot, crude and weighted KM
    study = page.locator("#status")
    expect(study).to_contain_text("up to date")
    _shot(page, "web-10-adjusted")


def test_cohort_steps_characteristic_levels_and_test_family(page: Any, app: RunningApp) -> None:
    """Issue 14 item 13: an inclusion step added and removed with its flow numbers, the order
    and names of a characteristic's values, and the test family of Table 1."""
    from playwright.sync_api import expect

    page.goto(app.url)
    page.set_input_files("#upload", str(REGISTRY))
    expect(page.locator("#data_summary")).to_contain_text("13 rows", timeout=60_000)
    _map_columns_like_the_bundled_study(page)
    controller.InputSelect(page, "group").set("group", timeout=60_000)
    controller.InputSelectize(page, "characteristics").set(
        ["age_years", "histologic_grade"], timeout=60_000
    )
    controller.InputSelect(page, "levels_column").set("histologic_grade", timeout=60_000)
    expect(page.locator("#levels_text")).to_have_value("moderate, poor, well")
    controller.InputText(page, "levels_text").set(
        "well = Well differentiated, moderate = Moderately, poor = Poorly"
    )
    controller.InputRadioButtons(page, "continuous_test").set("nonparametric")
    page.get_by_role("tab", name="Patient characteristics").click()
    table = page.locator("#characteristics_table")
    expect(table).to_contain_text("Mann-Whitney", timeout=60_000)
    text = table.inner_text()
    assert text.index("Well differentiated") < text.index("Moderately") < text.index("Poorly")

    page.get_by_role("button", name="2 · Patients and follow-up").click()  # room for step 5
    page.get_by_role("button", name="5 · Patients included (optional)").click()
    expect(page.locator("#cohort_steps")).to_contain_text("No inclusion step")
    controller.InputSelect(page, "cohort_column").set("pathology", timeout=60_000)
    controller.InputSelect(page, "cohort_rule").set("is", timeout=60_000)
    controller.InputSelectize(page, "cohort_values").set(["IDC"], timeout=60_000)
    controller.InputText(page, "cohort_reason").set("Not ductal")
    page.locator("#cohort_add").click()
    steps = page.locator("#cohort_steps")
    expect(steps).to_contain_text("13 → 12 (1 left out: Not ductal)", timeout=60_000)
    expect(steps).to_contain_text("Analysed: 12 patients")
    page.get_by_role("tab", name="Study file").click()
    expect(page.locator("#study_file")).to_contain_text("[[cohort]]")
    expect(page.locator("#study_file")).to_contain_text('continuous_test = "nonparametric"')
    _shot(page, "web-11-cohort-levels")

    page.get_by_role("button", name="Remove step Pathology: IDC").click()
    expect(steps).to_contain_text("Analysed: 13 patients", timeout=60_000)
    expect(page.locator("#study_file")).not_to_contain_text("[[cohort]]")

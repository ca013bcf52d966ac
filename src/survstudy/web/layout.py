"""The app's page: three steps in the sidebar, the results beside them.

Plain clinical words throughout ("Compare survival between", "Date last seen alive"), every
form field says what it wants with an example, and nothing is loaded from the internet: Shiny
serves its own scripts and styles, the styling below is inline, figures are inlined images.
"""

from __future__ import annotations

from htmltools import Tag, Tagifiable, tags
from shiny import ui

from survstudy.web import cohort
from survstudy.web.choices import DATE_FORMATS

__all__ = ["EXAMPLE_CHOICES", "LANDMARK_CHOICES", "page", "results_tabs", "welcome"]

#: Times at which survival can be read, in years → how a clinician says them.
LANDMARK_CHOICES = {
    "0.5": "6 months",
    "1": "1 year",
    "2": "2 years",
    "3": "3 years",
    "5": "5 years",
    "10": "10 years",
}

#: Bundled examples offered on the first step.
EXAMPLE_CHOICES = {
    "": "Choose an example…",
    "liver_resection": "Liver resection for breast-cancer liver metastases (13 patients)",
    "rotterdam": "Rotterdam breast-cancer cohort (2982 patients)",
}

_UNITS = {"months": "Months", "years": "Years", "days": "Days"}

_CSS = """
:root { --ss-ink: #1d2b3a; --ss-muted: #5b6b7b; --ss-line: #dfe5ec; }
body { color: var(--ss-ink); }
.navbar, .bslib-page-title { background: #17324d !important; color: #fff !important; }
.bslib-page-title { padding: .55rem 1.25rem !important; }
.bslib-page-title h1, .page-title { font-size: 1.15rem; margin: 0; font-weight: 600; }
.app-title { display: flex; align-items: center; gap: .8rem; flex-wrap: wrap; }
.app-title .privacy { font-size: .78rem; font-weight: 400; opacity: .9;
  border: 1px solid rgba(255,255,255,.45); border-radius: 1rem; padding: .05rem .6rem; }
.sidebar .accordion-button { font-weight: 600; }
.step-help, .form-text { color: var(--ss-muted); font-size: .82rem; margin-top: -.35rem;
  margin-bottom: .75rem; }
.report-table { font-size: .86rem; }
.report-table th { font-weight: 600; border-bottom-width: 2px; }
.report-table-title { font-weight: 600; margin-bottom: .35rem; }
.report-note { color: var(--ss-muted); font-size: .8rem; margin: .25rem 0; }
.report-figure { width: 100%; max-width: 960px; height: auto; display: block; }
.checks-table td { font-size: .86rem; vertical-align: top; }
.status-line { font-size: .95rem; }
.downloads .btn { margin: 0 .5rem .5rem 0; }
.welcome { max-width: 46rem; }
.welcome li { margin-bottom: .35rem; }
.summary-boxes .bslib-value-box { min-height: 0 !important; margin-bottom: .6rem; }
.summary-boxes .value-box-area { padding: .65rem 1rem !important; font-size: .85rem;
  color: var(--ss-muted); }
.summary-boxes .value-box-title p { font-size: .78rem; margin: 0; text-transform: uppercase;
  letter-spacing: .03em; color: var(--ss-muted); }
.summary-boxes .value-box-value p { font-size: 1.65rem; font-weight: 600; margin: .1rem 0;
  color: var(--ss-ink); line-height: 1.2; }
.study-file { font-size: .8rem; background: #f6f8fa; border: 1px solid var(--ss-line);
  border-radius: .4rem; padding: .8rem; max-height: 36rem; overflow: auto; }
.figure-links a { margin-right: .5rem; }
.figure-wrap { overflow-x: auto; }
.endpoint-heading { font-size: 1.05rem; font-weight: 600; margin: 1.2rem 0 .4rem; }
@media (max-width: 575.98px) {  /* a phone: figures keep a readable size and scroll */
  .report-figure { min-width: 560px; }
}
.cohort-box { border: 1px solid var(--ss-line); border-radius: .4rem; background: #f8fafc;
  padding: .55rem .7rem; margin-bottom: .9rem; }
.cohort-add-title { font-weight: 600; font-size: .9rem; margin-bottom: .4rem; }
.cohort-list { padding-left: 1.2rem; margin: .3rem 0; }
.cohort-list li { margin-bottom: .35rem; }
.cohort-flow { font-size: .82rem; font-variant-numeric: tabular-nums; }
iframe.report-preview { width: 100%; height: 75vh; border: 1px solid var(--ss-line);
  border-radius: .4rem; }
"""


def _help(text: str) -> Tag:
    return tags.div(text, class_="step-help")


def _step_data() -> ui.AccordionPanel:
    return ui.accordion_panel(
        "1 · Your data",
        ui.input_file(
            "upload",
            "Registry file (one row per patient)",
            accept=[".csv", ".xlsx", ".xlsm", ".tsv", ".txt", ".sav", ".zsav", ".por", ".dta",
                    ".sas7bdat", ".xpt"],
            button_label="Choose file…",
            placeholder="CSV, Excel, SPSS, Stata or SAS",
        ),
        ui.input_file(
            "dictionary_upload",
            "REDCap data dictionary (optional)",
            accept=[".csv"],
            button_label="Choose file…",
            placeholder="For a REDCap raw export",
        ),
        _help(
            "With a REDCap raw export: its choices become the groups' names, its checkboxes "
            "yes/no columns, its date and decimal formats are read as REDCap wrote them."
        ),
        ui.output_ui("sheet_ui"),
        ui.input_select("example", "Or open an example study", EXAMPLE_CHOICES),
        ui.input_action_button(
            "open_example", "Open example", class_="btn-outline-primary btn-sm mb-2"
        ),
        ui.output_ui("data_summary"),
        value="data",
    )


def _step_time() -> ui.AccordionPanel:
    empty: dict[str, str] = {}
    return ui.accordion_panel(
        "2 · Patients and follow-up",
        ui.input_select("id_column", "Column that identifies each patient", empty),
        ui.input_radio_buttons(
            "mode",
            "How is survival recorded?",
            {
                "dates": "As dates: start, event, last contact",
                "ready": "As a follow-up time and a status column",
            },
        ),
        ui.panel_conditional(
            "input.mode === 'dates'",
            ui.input_select("origin", "Follow-up starts on", empty),
            _help("For example the date of surgery or of diagnosis."),
            ui.input_selectize("event_dates", "Date of the event", empty, multiple=True),
            _help(
                "For example the date of death. Choose two (recurrence and death) for "
                "recurrence-free survival: the earlier one counts."
            ),
            ui.input_selectize(
                "competing_dates",
                "Competing event date (optional)",
                empty,
                multiple=True,
                options={"placeholder": "None: no competing risks"},
            ),
            _help(
                "An event that makes the outcome impossible, e.g. the date of death for "
                "recurrence: the results then show the cumulative incidence with Gray's test."
            ),
            ui.input_select("last_contact", "Date last seen alive (last contact)", empty),
            _help("Patients without the event are followed until this date."),
            ui.input_checkbox("use_cutoff", "Stop follow-up at a closing date", False),
            ui.panel_conditional(
                "input.use_cutoff",
                ui.input_date("cutoff", "Closing date of follow-up", format="yyyy-mm-dd"),
                _help("Events after this date are counted as censored on it."),
            ),
            ui.input_select("date_format", "Dates are written as", DATE_FORMATS),
        ),
        ui.panel_conditional(
            "input.mode === 'ready'",
            ui.input_select("time_column", "Follow-up time", empty),
            ui.input_select(
                "time_column_unit",
                "These times are in",
                {"days": "Days", "months": "Months", "years": "Years"},
            ),
            ui.input_select("event_column", "Did the event happen? (status column)", empty),
            ui.input_selectize(
                "event_codes", "Value(s) meaning the event happened", empty, multiple=True
            ),
            _help("Every other value counts as censored (alive or lost to follow-up)."),
            ui.input_select("competing_column", "Competing event (optional status column)", empty),
            ui.input_selectize(
                "competing_codes", "Value(s) meaning the competing event", empty, multiple=True
            ),
            _help(
                "An event that makes the outcome impossible (death for recurrence); it may be "
                "the status column itself with another value, e.g. 2 = died. The results then "
                "show the cumulative incidence with Gray's test."
            ),
        ),
        ui.input_text("outcome", "Name of the outcome", "Overall survival"),
        ui.input_radio_buttons(
            "time_unit", "Show times in", _UNITS, selected="months", inline=True
        ),
        value="time",
    )


def _column_and_levels(
    column: tuple[str, str, str], levels: tuple[str, str], help_text: str
) -> tuple[Tag, ...]:
    """A column chooser (id, label, the empty choice's words) and the text field giving the
    order and names of its values (id, label), with their help."""
    return (
        ui.input_select(column[0], column[1], {"": column[2]}),
        ui.input_text(levels[0], levels[1], ""),
        _help(help_text),
    )


def _step_compare() -> ui.AccordionPanel:
    return ui.accordion_panel(
        "3 · Comparison and report",
        *_column_and_levels(
            ("group", "Compare survival between", "No comparison (all patients together)"),
            ("group_levels", "Order and names of the groups"),
            "Values of the column in the order to show them, separated by commas; name "
            "one with =, e.g. well = Well differentiated, moderate, poor. Values not listed "
            "come last.",
        ),
        ui.input_selectize(
            "characteristics", "Patient characteristics to describe", {}, multiple=True
        ),
        *_column_and_levels(
            ("levels_column", "Order and names of a characteristic's values", "Choose…"),
            ("levels_text", "Values in order"),
            "As for the groups: e.g. F = Female, M = Male, or well, moderate, poor for a "
            "grade (otherwise shown alphabetically).",
        ),
        ui.input_radio_buttons(
            "continuous_test",
            "Compare numbers between groups with",
            {
                "auto": "A normality pre-test",
                "nonparametric": "Rank tests",
                "parametric": "t-test / ANOVA",
            },
            selected="auto",
        ),
        _help(
            "Rank tests (Mann-Whitney, Kruskal-Wallis) suit small groups, where a normality "
            "pre-test (Shapiro-Wilk) has little power."
        ),
        ui.input_selectize(
            "covariates",
            "Prognostic factors (Cox regression)",
            {},
            multiple=True,
            options={"placeholder": "None: no Cox model"},
        ),
        _help(
            "Each factor gets a hazard ratio, alone and adjusted for the others. Keep about "
            "one factor per ten events."
        ),
        ui.input_checkbox_group(
            "landmarks",
            "Report survival at",
            LANDMARK_CHOICES,
            selected=["1", "3", "5"],
            inline=True,
        ),
        ui.input_text("title", "Title of the study", "Survival study"),
        value="compare",
    )


def _step_adjusted() -> ui.AccordionPanel:
    empty: dict[str, str] = {}
    return ui.accordion_panel(
        "4 · Adjusted comparison (optional)",
        _help(
            "For a treatment that was not randomised: compare the treated with the others, "
            "weighted by the inverse probability of treatment (IPTW) from the confounders."
        ),
        ui.input_select("treatment", "Treatment", {"": "None: no adjusted comparison"}),
        ui.input_select("treated", "Value meaning treated", empty),
        ui.input_selectize(
            "confounders",
            "Confounders to adjust for",
            empty,
            multiple=True,
            options={"placeholder": "Characteristics that influenced the treatment choice"},
        ),
        ui.input_radio_buttons(
            "estimand",
            "Effect in",
            {"ate": "All patients (ATE)", "att": "The treated (ATT)"},
            selected="ate",
            inline=True,
        ),
        value="adjusted",
    )


def _welcome() -> Tag:
    return tags.div(
        tags.h4("A survival study from your registry, on this computer"),
        tags.ol(
            tags.li(
                "Choose your registry file (CSV, Excel, SPSS, Stata or SAS; one row per patient), "
                "or open an example."
            ),
            tags.li(
                "Say which columns hold the patient identifier and the follow-up: dates "
                "(start, event, last contact) or a ready-made time and status."
            ),
            tags.li("Choose the groups to compare and the patient characteristics."),
            tags.li(
                "Check the results as they update, then download the full report (Word, "
                "HTML, figures, tables) and the study file that rebuilds it."
            ),
        ),
        tags.p(
            "Nothing leaves this computer: the file is kept in a private temporary "
            "folder and deleted when you close survstudy.",
            class_="report-note",
        ),
        class_="welcome",
    )


def results_tabs() -> Tagifiable:
    """The results, one tab per kind (shown once a registry is open)."""
    return ui.navset_card_underline(
        ui.nav_panel(
            "Survival",
            ui.output_ui("logrank"),
            ui.output_ui("km_figure"),
            ui.output_ui("survival_table"),
            ui.output_ui("competing"),
            value="survival",
        ),
        ui.nav_panel(
            "Patient characteristics",
            ui.output_ui("characteristics_table"),
            value="characteristics",
        ),
        ui.nav_panel("Prognostic factors", ui.output_ui("cox_tables"), value="cox"),
        ui.nav_panel("Adjusted comparison", ui.output_ui("adjusted"), value="adjusted"),
        ui.nav_panel("Data checks", ui.output_ui("checks"), value="checks"),
        ui.nav_panel("Study file", ui.output_ui("study_file"), value="study_file"),
        ui.nav_panel("Full report", ui.output_ui("report_preview"), value="report"),
        id="results_tabs",
    )


def welcome() -> Tag:
    """What the page shows before a registry is open."""
    return _welcome()


def page() -> Tag:
    """The whole page."""
    title = tags.div(
        tags.span("survstudy · survival study", class_="page-title"),
        tags.span("Offline · your data stay on this computer", class_="privacy"),
        class_="app-title",
    )
    sidebar = ui.sidebar(
        ui.accordion(
            _step_data(),
            _step_time(),
            _step_compare(),
            _step_adjusted(),
            cohort.panel(),
            id="steps",
            open=["data"],
        ),
        width=390,
        open={"desktop": "always", "mobile": "always-above"},  # a phone: steps first
        max_height_mobile="none",
    )
    main = tags.div(
        ui.output_ui("status"),
        ui.output_ui("summary_boxes"),
        ui.output_ui("downloads"),
        ui.output_ui("main_area"),
    )
    return ui.page_sidebar(
        sidebar,
        tags.head(
            tags.style(_CSS),
            tags.meta(name="referrer", content="no-referrer"),
            tags.link(rel="icon", href="data:,"),
        ),
        main,
        title=title,
        fillable=False,
        lang="en",
    )

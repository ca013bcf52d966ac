"""The local web app: forms → study configuration → the report's own results, shown live.

The server only gathers choices and shows what :mod:`survstudy.web.pipeline` returns (which
calls ``load_study`` / ``analyse_study`` / ``build_document``, as the CLI does). Slow steps
(reading a large file, the analysis, writing the report) run in worker threads behind a
progress bar, so the page never freezes; a newer choice cancels a run still going.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any

from htmltools import Tag, Tagifiable, TagList, tags
from shiny import App, Inputs, Outputs, Session, reactive, render, ui

from survstudy.config.models import StudyConfig
from survstudy.engine.dialect import dialect_text
from survstudy.errors import InputError, Problem
from survstudy.web import analyses, cohort, layout, levels, panels
from survstudy.web.choices import (
    Choices,
    ContinuousTest,
    build_config,
    choices_from_config,
    likely_event_codes,
)
from survstudy.web.forms import derived_columns_of, example_study, fill_forms
from survstudy.web.inference import inferred_choices, inferred_study
from survstudy.web.pipeline import Cancelled, Outcome, report_zip, run_analysis
from survstudy.web.preview import DataPreview, read_preview
from survstudy.web.render import problems_tag
from survstudy.web.sanity import choice_notes, left_out_notes, without_group_characteristic
from survstudy.web.security import DEFAULT_MAX_UPLOAD_BYTES, LOCAL_HOSTS, secure_app
from survstudy.web.session import SessionFolder, StoredData, Workspace
from survstudy.web.status import download_buttons, status_line

__all__ = ["create_app", "shiny_app"]

log = logging.getLogger("survstudy.web")

#: Seconds the app waits after a change before analysing, so quick changes make one run.
SETTLE_SECONDS = 0.3


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "survival-study"


def _continuous_test(value: str) -> ContinuousTest:
    """The form's answer as the study file's key ("auto" for anything unexpected)."""
    tests: tuple[ContinuousTest, ...] = ("nonparametric", "parametric")
    return next((t for t in tests if t == value), "auto")


def _server(workspace: Workspace) -> Callable[[Inputs, Outputs, Session], None]:
    def server(input: Inputs, output: Outputs, session: Session) -> None:
        folder: SessionFolder = workspace.new_session()
        session.on_ended(folder.remove)
        stored: reactive.Value[StoredData | None] = reactive.value(None)
        preview: reactive.Value[DataPreview | None] = reactive.value(None)
        base: reactive.Value[StudyConfig | None] = reactive.value(None)
        endpoint: reactive.Value[str] = reactive.value("")
        load_error: reactive.Value[str | None] = reactive.value(None)
        has_data: reactive.Value[bool] = reactive.value(False)
        dictionary: reactive.Value[StoredData | None] = reactive.value(None)
        generation = [0]
        last_config: list[StudyConfig | None] = [None]
        loop = asyncio.get_running_loop()

        def progress_bar(message: str) -> tuple[ui.Progress, Callable[[float, str], None]]:
            bar = ui.Progress(session=session)
            bar.set(0.05, message=message)

            def update(value: float, text: str) -> None:  # called from worker threads
                loop.call_soon_threadsafe(lambda: bar.set(value, message=text))

            return bar, update

        # ---- reading a registry ---------------------------------------------------------

        def _shown_name() -> str:
            with reactive.isolate():
                data = stored()
            return data.display_name if data is not None else "the file"

        @reactive.extended_task
        async def load_task(
            data: StoredData, sheet: str | None, example: StudyConfig | None
        ) -> tuple[StoredData, DataPreview, StudyConfig | None, StudyConfig | None]:
            bar, _ = progress_bar(f"Reading {data.display_name}")
            try:
                found = await asyncio.to_thread(
                    read_preview, data.path, sheet, data.display_name, data.dialect
                )
                words = folder.dictionary
                draft = (
                    None  # an example brings its own study file; init reads plain CSV only
                    if example is not None or data.dialect is not None
                    else await asyncio.to_thread(
                        inferred_study,
                        data.path,
                        data.display_name,
                        None if words is None else words.path,
                    )
                )
            finally:
                bar.close()
            return data, found, example, draft

        def start_load(data: StoredData, sheet: str | None, example: StudyConfig | None) -> None:
            load_error.set(None)
            stored.set(data)
            load_task.cancel()
            load_task(data, sheet, example)

        @reactive.effect
        @reactive.event(input.upload)
        def _upload() -> None:
            info = (input.upload() or [None])[0]
            if info is None:
                return
            try:
                data = folder.store_upload(info["datapath"], info["name"])
            except (ValueError, OSError) as e:
                load_error.set(str(e))
                return
            endpoint.set("")
            start_load(data, None, None)

        @reactive.effect
        @reactive.event(input.dictionary_upload)
        def _dictionary() -> None:
            info = (input.dictionary_upload() or [None])[0]
            if info is None:
                return
            try:
                words = folder.store_dictionary(info["datapath"], info["name"])
            except (ValueError, OSError) as e:
                load_error.set(str(e))
                return
            dictionary.set(words)
            with reactive.isolate():
                data, example = stored(), base()
            if data is not None and (example is None or not example.endpoints):
                start_load(data, None, None)  # read the upload again, with its dictionary

        @reactive.effect
        @reactive.event(input.open_example)
        def _open_example() -> None:
            name = input.example()
            if not name:
                load_error.set("Choose an example first.")
                return
            config, registry = example_study(name)
            dictionary.set(None)  # an example is no REDCap export
            endpoint.set(config.analysis_endpoints[0] if config.analysis_endpoints else "")
            start_load(folder.store_copy(registry, registry.name), None, config)

        @reactive.effect
        @reactive.event(input.sheet, ignore_init=True)
        def _sheet() -> None:
            data, pv = stored(), preview()
            if data is None or pv is None or not pv.sheets or input.sheet() == pv.sheet:
                return
            start_load(data, input.sheet(), base())

        @reactive.effect
        def _loaded() -> None:
            status = load_task.status()
            if status == "error":
                error = load_task.error.get()
                load_error.set(
                    "\n".join(p.message for p in error.problems)
                    if isinstance(error, InputError)
                    else f"Cannot read '{_shown_name()}' as a table ({type(error).__name__})."
                )
                preview.set(None)
                has_data.set(False)
                return
            if status != "success":
                return
            data, found, example, draft = load_task.value.get()
            with reactive.isolate():
                if data is not stored():
                    return
            start: StudyConfig | None
            if example is not None:
                values = {c.name: c.values for c in found.columns}
                prefill, start = choices_from_config(example, values), example
            else:  # what `survstudy init` infers: labels, levels, id and endpoint dates
                prefill, start = inferred_choices(found, draft)
            base.set(start)
            preview.set(found)
            has_data.set(True)
            fill_forms(prefill, found, start)
            ui.update_accordion("steps", show=["data", "time", "compare"])

        @reactive.effect
        @reactive.event(input.event_column, ignore_init=True)
        def _event_values() -> None:
            pv = preview()
            info = pv.column(input.event_column()) if pv else None
            if info is None:
                return
            keep = [v for v in input.event_codes() if v in info.values]
            ui.update_selectize(
                "event_codes",
                choices=list(info.values),
                selected=keep or list(likely_event_codes(info.values)),
            )

        @reactive.effect
        @reactive.event(input.competing_column, ignore_init=True)
        def _competing_values() -> None:
            pv = preview()
            info = pv.column(input.competing_column()) if pv else None
            keep = [v for v in input.competing_codes() if info and v in info.values]
            ui.update_selectize(
                "competing_codes",
                choices=list(info.values) if info else [],
                selected=keep or (_other_codes(info.values) if info else []),
            )

        def _other_codes(values: tuple[str, ...]) -> list[str]:
            """A competing status read from the event's own column: its remaining codes
            besides censoring (0); a separate 0/1 column: its plain "yes" codes."""
            if input.competing_column() == input.event_column():
                taken = set(input.event_codes())
                return [v for v in values if v not in taken and v not in ("0", "")]
            return list(likely_event_codes(values))

        @reactive.effect
        @reactive.event(input.treatment, ignore_init=True)
        def _treatment_values() -> None:
            pv = preview()
            info = pv.column(input.treatment()) if pv else None
            values = list(info.values) if info else []
            keep = input.treated() if input.treated() in values else ""
            yes = [*likely_event_codes(tuple(values)), *values[-1:]]
            ui.update_select("treated", choices=values, selected=keep or next(iter(yes), None))

        # ---- choices → configuration → analysis -----------------------------------------

        cohort_steps = cohort.register(input, preview, base, lambda: outcome())
        other_levels = levels.register(input, preview, base)

        @reactive.calc
        def choices() -> Choices | None:
            pv = preview()
            if pv is None:
                return None
            try:
                landmarks = tuple(sorted(float(x) for x in input.landmarks()))
            except ValueError:
                landmarks = ()
            return Choices(
                title=input.title(),
                id_column=input.id_column() or "",
                mode="ready" if input.mode() == "ready" else "dates",
                origin=input.origin() or "",
                event_dates=tuple(input.event_dates() or ()),
                last_contact=input.last_contact() or "",
                cutoff=input.cutoff() if input.use_cutoff() else None,
                date_format=input.date_format() or "",
                time_column=input.time_column() or "",
                time_column_unit=input.time_column_unit(),
                event_column=input.event_column() or "",
                event_codes=tuple(input.event_codes() or ()),
                outcome=input.outcome(),
                time_unit=input.time_unit(),
                group=input.group() or "",
                group_levels=levels.group_levels(pv, input.group() or "", input.group_levels()),
                variable_levels=other_levels(),
                characteristics=tuple(input.characteristics() or ()),
                covariates=tuple(input.covariates() or ()),
                landmark_years=landmarks,
                endpoint=endpoint(),
                sheet=pv.sheet,
                competing_dates=tuple(input.competing_dates() or ()),
                competing_column=input.competing_column() or "",
                competing_codes=tuple(input.competing_codes() or ()),
                treatment=input.treatment() or "",
                treated=input.treated() or "",
                confounders=tuple(input.confounders() or ()),
                estimand="att" if input.estimand() == "att" else "ate",
                cohort=cohort_steps(),
                continuous_test=_continuous_test(input.continuous_test()),
            )

        def _unknown_columns(c: Choices, pv: DataPreview) -> list[str]:
            known = set(pv.names) | set(derived_columns_of(base()))
            used = [c.id_column, c.group, *c.characteristics, *c.covariates]
            used += [c.treatment, *c.confounders]
            used += (
                [c.origin, *c.event_dates, *c.competing_dates, c.last_contact]
                if c.mode == "dates"
                else [c.time_column, c.event_column, c.competing_column]
            )
            return [u for u in used if u and u not in known]

        @reactive.calc
        def checked() -> tuple[Choices, list[Problem]] | None:
            """The complete choices (the group dropped from the characteristics) and the
            app's own checks of them; None while something is still to choose."""
            c, pv, data = choices(), preview(), stored()
            if c is None or pv is None or data is None or c.missing() or _unknown_columns(c, pv):
                return None
            c, notes = without_group_characteristic(c)
            return c, [*notes, *choice_notes(c, pv)]

        @reactive.calc
        def config() -> StudyConfig | None:
            done, pv, data = checked(), preview(), stored()
            if done is None or pv is None or data is None:
                return None
            words = dictionary()
            return build_config(
                done[0],
                source=data.display_name,
                base=base(),
                preview=pv,
                dictionary=None if words is None else words.display_name,
                dialect=data.dialect,
            )

        @reactive.extended_task
        async def analysis(
            cfg: StudyConfig, data: StoredData, run: int, c: Choices, notes: list[Problem]
        ) -> Outcome:
            await asyncio.sleep(SETTLE_SECONDS)
            bar, update = progress_bar("Checking the data")
            try:
                return await asyncio.to_thread(
                    run_analysis,
                    folder,
                    cfg,
                    data,
                    progress=update,
                    cancelled=lambda: run != generation[0],
                    notes=notes,
                    after=lambda results: left_out_notes(results, c),
                    dictionary=folder.dictionary,
                )
            finally:
                bar.close()

        @reactive.effect
        def _start_analysis() -> None:
            cfg = config()
            data = stored()
            done = checked()
            if cfg is None or data is None or done is None or cfg == last_config[0]:
                return
            last_config[0] = cfg
            generation[0] += 1
            analysis.cancel()
            analysis(cfg, data, generation[0], *done)

        @reactive.calc
        def outcome() -> Outcome | None:
            """The analysis of the current choices; None while they are incomplete (no
            stale results are shown or downloaded)."""
            cfg = config()
            if cfg is None:
                return None
            if analysis.status() == "error":
                error = analysis.error.get()
                if not isinstance(error, Cancelled):
                    log.error("analysis failed", exc_info=error)
                    raise error
            try:
                found = analysis.result()
            except Cancelled:
                return None
            return found if found.config == cfg else None

        # ---- outputs --------------------------------------------------------------------

        @render.ui
        def sheet_ui() -> Tag | None:
            pv = preview()
            if pv is None or len(pv.sheets) < 2:
                return None
            return ui.input_select(
                "sheet", "Sheet of the workbook", list(pv.sheets), selected=pv.sheet
            )

        @render.ui
        def data_summary() -> Tag | None:
            data, pv = stored(), preview()
            if load_error() is not None:
                return tags.div(load_error(), class_="alert alert-danger py-2 small")
            if data is None or pv is None:
                return None
            dialect = "" if data.dialect is None else f" · {dialect_text(data.dialect)}"
            return tags.div(
                tags.strong(data.display_name),
                f" · {data.kind}{dialect} · {pv.n_rows:,} rows · ",
                f"{len(pv.columns)} columns",
                class_="small text-body-secondary mt-1",
            )

        @render.ui
        def main_area() -> Tagifiable:
            return layout.results_tabs() if has_data() else layout.welcome()

        @render.ui
        def status() -> Tag | None:
            return status_line(choices(), outcome()) if preview() is not None else None

        @render.ui
        def downloads() -> Tag | None:
            return download_buttons(outcome()) if preview() is not None else None

        @render.ui
        def summary_boxes() -> Any:
            o = outcome()
            if analyses.is_competing(o):  # cumulative incidence, not 1 - KM
                return analyses.competing_boxes(o)
            return panels.summary_boxes(o)

        @render.ui
        def logrank() -> Any:
            o = outcome()  # a competing-risks endpoint shows Gray's test with its figure
            return None if analyses.is_competing(o) else panels.logrank(o)

        @render.ui
        def competing() -> Any:
            return analyses.competing(outcome())

        @render.ui
        def adjusted() -> Any:
            return analyses.adjusted(outcome())

        @render.ui
        def km_figure() -> Any:
            return panels.km_figure(outcome())

        @render.ui
        def survival_table() -> Any:
            return panels.survival_table(outcome())

        @render.ui
        def characteristics_table() -> Any:
            return panels.characteristics_table(outcome())

        @render.ui
        def cox_tables() -> Any:
            return panels.cox_tables(outcome())

        @render.ui
        def checks() -> Tag | TagList:
            o = outcome()
            if o is None:
                return panels.waiting(o)
            return problems_tag(o.problems)

        @render.ui
        def study_file() -> Tag | None:
            o = outcome()
            if o is None:
                return panels.waiting(o)
            return tags.div(
                tags.p(
                    "The study file records every choice. Keep it with your registry: "
                    "survstudy report study.toml rebuilds this report.",
                    class_="report-note",
                ),
                tags.pre(o.study_toml, class_="study-file"),
            )

        @render.ui
        def report_preview() -> Tag | None:
            from survstudy.report.html import render_html

            o = outcome()
            if o is None or o.document is None:
                return panels.waiting(o)
            return tags.iframe(
                srcdoc=render_html(o.document),
                sandbox="",
                class_="report-preview",
                title="Report preview",
            )

        def _name() -> str:
            o = outcome()
            return _slug(o.config.study.title) if o else "survival-study"

        @render.download(filename=lambda: f"{_name()}-report.zip")
        async def download_zip() -> Any:
            o, data = outcome(), stored()
            if o is None or data is None or o.results is None:
                return
            bar = ui.Progress(session=session)
            bar.set(0.3, message="Writing the report (Word, HTML, figures, tables)")
            try:
                zipped = await asyncio.to_thread(report_zip, o, folder, data.display_name)
            finally:
                bar.close()
            yield zipped

        @render.download(filename="study.toml")
        async def download_toml() -> Any:
            o = outcome()
            if o is not None:
                yield o.study_toml.encode("utf-8")

    return server


def shiny_app(workspace: Workspace) -> App:
    """The Shiny app (without the protective wrappers: use :func:`create_app`)."""
    app = App(layout.page(), _server(workspace))
    app.sanitize_errors = True
    app.on_shutdown(workspace.remove)
    return app


def create_app(
    workspace: Workspace | None = None,
    *,
    hosts: tuple[str, ...] = LOCAL_HOSTS,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
) -> Any:
    """The app as an ASGI application, behind the host, origin and upload-size checks."""
    return secure_app(
        shiny_app(workspace or Workspace()), hosts=hosts, max_upload_bytes=max_upload_bytes
    )

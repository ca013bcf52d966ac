"""The app's one path to numbers: study file → ``load_study`` → ``analyse_study`` → document.

Nothing here computes a statistic. The choices made in the forms arrive as a
:class:`~survstudy.config.StudyConfig`; it is written as a study file into a private run
folder and read back by :func:`survstudy.study.load_study`, exactly as ``survstudy report``
reads a study file, so the study file the user downloads reproduces what the app showed.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import shutil
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from survstudy.config.dump import dump_study_config
from survstudy.config.models import StudyConfig
from survstudy.errors import InputError, Problem
from survstudy.web.session import SessionFolder, StoredData

if TYPE_CHECKING:
    from survstudy.report.document import Document
    from survstudy.study import Study
    from survstudy.study.analysis import StudyResults

__all__ = ["Cancelled", "Outcome", "Progress", "report_zip", "run_analysis", "study_file_text"]

log = logging.getLogger("survstudy.web")

#: Called with a fraction done (0-1) and what is being done, in words.
Progress = Callable[[float, str], None]


class Cancelled(Exception):
    """A newer choice replaced this run before it finished."""


@dataclass(frozen=True)
class Outcome:
    """One run: the study file, the problems found, and (when there are no errors) the
    study, its results and the report document."""

    config: StudyConfig
    study_toml: str
    problems: tuple[Problem, ...]
    study: Study | None = None
    results: StudyResults | None = None
    document: Document | None = None

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


def study_file_text(config: StudyConfig, data_name: str) -> str:
    """The study file offered for download: ``[data] source`` is the registry's own name."""
    data = config.data.model_copy(update={"source": data_name})
    today = dt.date.today().isoformat()
    header = (
        f"Study file written by the survstudy app on {today}.\n"
        f"Put it in the folder that holds {data_name} and run:\n"
        "    survstudy report study.toml\n"
        "to rebuild the same report. Every key is explained in docs/study-file.md."
    )
    return dump_study_config(config.model_copy(update={"data": data}), header=header)


def _shown(
    problem: Problem,
    stored: StoredData,
    study_path: Path,
    source: str,
    dictionary: StoredData | None = None,
) -> Problem:
    """The problem with private paths replaced by the names the user knows."""

    def clean(text: str) -> str:
        if dictionary is not None:
            text = text.replace(str(dictionary.path), dictionary.display_name)
            text = text.replace(dictionary.path.name, dictionary.display_name)
        for private in (str(study_path.parent / source), str(stored.path)):
            text = text.replace(private, stored.display_name)
        return text.replace(str(study_path), "the study settings")

    file = None if problem.file is None else clean(problem.file)
    return replace(problem, file=file, message=clean(problem.message))


def run_analysis(
    folder: SessionFolder,
    config: StudyConfig,
    stored: StoredData,
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    notes: Sequence[Problem] = (),
    after: Callable[[StudyResults], Sequence[Problem]] | None = None,
    dictionary: StoredData | None = None,
) -> Outcome:
    """Check and analyse ``config`` on the stored registry; errors become listed problems.

    ``notes`` are the app's own checks of the choices, listed first (an error among them
    stops the run); ``after`` adds checks of the results (patients a comparison left out).
    Raises :class:`Cancelled` between steps when ``cancelled()`` says a newer run is wanted.
    ``dictionary``: the stored REDCap data dictionary ``[data] dictionary`` names.
    """
    from survstudy.report.build import build_document
    from survstudy.study import load_study
    from survstudy.study.analysis import analyse_study

    def step(fraction: float, text: str) -> None:
        if cancelled is not None and cancelled():
            raise Cancelled
        if progress is not None:
            progress(fraction, text)

    run = folder.new_folder("run")
    source = os.path.relpath(stored.path, run)
    private = {"source": source}
    if dictionary is not None and config.data.dictionary:
        private["dictionary"] = os.path.relpath(dictionary.path, run)
    internal = config.model_copy(update={"data": config.data.model_copy(update=private)})
    study_path = run / "study.toml"
    study_path.write_text(dump_study_config(internal), encoding="utf-8")
    text = study_file_text(config, stored.display_name)
    notes = tuple(notes)

    def shown_all(problems: Sequence[Problem]) -> tuple[Problem, ...]:
        return tuple(_shown(p, stored, study_path, source, dictionary) for p in problems)

    if any(p.severity == "error" for p in notes):
        return Outcome(config, text, notes)
    step(0.1, "Reading and checking the data")
    try:
        try:
            study = load_study(study_path, strict=False)
        except InputError as e:
            shown = shown_all(e.problems)
            return Outcome(config, text, notes + shown)
        problems = notes + shown_all(study.problems)
        if not study.ok:
            return Outcome(config, text, problems, study)
        step(0.4, "Estimating survival")
        try:
            results = analyse_study(study)
        except InputError as e:  # the data cannot support a chosen analysis: say which
            shown = shown_all(e.problems)
            return Outcome(config, text, problems + shown, study)
        if after is not None:
            problems += tuple(after(results))
        step(0.7, "Drawing the figures")
        document = build_document(results)
    except Cancelled:
        raise
    except Exception as e:  # a bug, not the user's data: say so instead of a blank page
        log.exception("the analysis failed")
        failure = Problem(
            f"survstudy could not finish the analysis ({type(e).__name__}: {e}). This is a "
            "fault in survstudy, not in your data; please report it with the study file."
        )
        return Outcome(config, text, (failure,))
    return Outcome(config, text, problems, study, results, document)


_README = """\
Survival-study report made by the survstudy app.

report/report.html   the report (open it in a web browser); report/report.docx for Word
report/figures/      the figures (PNG for slides, SVG for journals)
report/tables/       every table as CSV and Excel
report/results.json  every number of the report
study.toml           the study file: put it next to {data} and run
                         survstudy report study.toml
                     to rebuild this report from the command line
"""


def report_zip(outcome: Outcome, folder: SessionFolder, data_name: str) -> bytes:
    """The whole report folder and its study file, as the bytes of a zip file."""
    from survstudy.report.write import write_report

    if outcome.results is None:
        raise ValueError("there is no report to download until the data checks pass")
    scratch = folder.new_folder("report")
    try:
        written = write_report(outcome.results, scratch / "report")["folder"]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(written.rglob("*")):
                if path.is_file():
                    zf.write(path, f"report/{path.relative_to(written).as_posix()}")
            zf.writestr("study.toml", outcome.study_toml)
            zf.writestr("README.txt", _README.format(data=data_name))
        return buffer.getvalue()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

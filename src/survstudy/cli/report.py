"""``survstudy report``: the whole study report from a study file, in one folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from survstudy.cli import (
    EngineOption,
    SparkMasterOption,
    StudyFileArgument,
    app,
    handles_input_errors,
)

__all__ = ["check_out", "print_report_summary", "report"]


def check_out(out: Path) -> None:
    """Refuse an ``--out`` the report would destroy: the folder is replaced whole when the
    report is complete, so it must be new, empty, or a previous survstudy report."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ValueError(f"--out: {out} is a file; give a folder for the report")
    if any(out.iterdir()) and not (out / "manifest.json").is_file():
        raise ValueError(
            f"--out: {out} is a folder that holds other files, and the report replaces the "
            "whole folder; give a new folder (or the folder of a previous report)"
        )


def print_report_summary(files: dict[str, Path], warnings: int = 0) -> None:
    folder = files["folder"]
    typer.echo(f"Report written to {folder}/")
    typer.echo(f"  open {files['report.html']}  (or report.docx for Word)")
    typer.echo(f"  figures/, tables/, results.json, manifest.json, {files['log'].name}")
    if warnings:
        typer.echo(f"  {warnings} warning(s) or note(s) from the data checks: see the report's "
                   "last section")


@app.command()
@handles_input_errors
def report(
    study: StudyFileArgument,
    out: Annotated[
        Path | None, typer.Option(help="Folder to write (default: survstudy-report/ here).")
    ] = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
) -> None:
    """Check the data, run every analysis and write the report folder (atomically).

    STUDY is the study file (study.toml); docs/study-file.md explains it. --engine and
    --spark-master override its [data] engine and spark_master.
    """
    from survstudy.report.write import write_report
    from survstudy.study import load_study
    from survstudy.study.analysis import analyse_study

    check_out(out or Path("survstudy-report"))
    stage = _stages()
    try:
        stage("reading and checking the registry")
        loaded = load_study(study, engine_kind=engine, spark_master=spark_master)
        stage(f"analysing {loaded.n:,} patients")
        results = analyse_study(loaded)
        stage("writing the report (figures, Word, tables)")
        files = write_report(results, out or Path("survstudy-report"))
    finally:
        stage(None)  # clear the line, also before an error is printed
    print_report_summary(files, len(loaded.problems))


def _stages() -> Callable[[str | None], None]:
    """On a terminal, say on stderr which stage a long run is in (None ends the line)."""
    import sys
    import time

    start = time.perf_counter()
    if not sys.stderr.isatty():
        return lambda _: None

    def stage(what: str | None) -> None:
        elapsed = f"[{time.perf_counter() - start:5.1f} s]"
        sys.stderr.write("\r\033[K" + ("" if what is None else f"{elapsed} {what} …"))
        sys.stderr.flush()

    return stage

"""``survstudy check``: read a study file and its registry, list every problem, write the log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from survstudy.cli import (
    EngineOption,
    SparkMasterOption,
    StudyFileArgument,
    app,
    emit_json,
    handles_input_errors,
)

if TYPE_CHECKING:
    from survstudy.study import Study

__all__ = ["check", "render_check"]

_LABEL = {"error": "error", "warning": "warning", "note": "note"}


def render_check(study: Study) -> str:
    """The terminal summary: flow, endpoints, then every problem (errors first)."""
    c = study.config
    cutoff = c.follow_up.cutoff
    lines = [
        f"{c.study.title}",
        f"study file: {study.file.path}; time unit: {study.time_unit}"
        + (f"; follow-up cutoff: {cutoff.isoformat()}" if cutoff else ""),
        "",
        f"registry: {study.flow.n_registry} patients",
    ]
    for s in study.flow.steps:
        lines.append(f"  {s.step}: {s.n_after} kept, {s.n_excluded} excluded ({s.reason})")
    lines.append(f"cohort: {study.flow.n_final} patients")
    for name, ep in study.to_dict()["endpoints"].items():
        lines.append(
            f"  {ep['label']} ({name}): {ep['n']} patients, {ep['events']} events"
            + (f", {ep['not_derived']} not derived" if ep["not_derived"] else "")
        )
    n_err, n_warn, n_note = len(study.errors), len(study.warnings), len(study.notes)
    lines += ["", f"{n_err} error(s), {n_warn} warning(s), {n_note} note(s)"]
    for p in study.problems:
        lines.append(f"{_LABEL[p.severity]}: {p}")
    if n_err:
        lines.append(
            "Errors stop the analysis: correct the data or the study file and run check again."
        )
    return "\n".join(lines)


@app.command()
@handles_input_errors
def check(
    study_file: StudyFileArgument,
    log: Annotated[
        Path | None,
        typer.Option(help="Write the per-patient derivation log to this file (CSV; Parquet "
                          "if its name ends in .parquet)."),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="Read this table instead of the data source named in the study file."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
) -> None:
    """Check a study: every problem in the study file and the registry, at once.

    STUDY_FILE is the study file (study.toml). Exit status 2 when there are errors; warnings
    and notes do not stop an analysis.
    """
    from survstudy.study import load_study

    study = load_study(study_file, data=data, strict=False, engine_kind=engine,
                       spark_master=spark_master)
    if log is not None:
        tmp = log.with_name(f"{log.stem}.partial{log.suffix}")  # the suffix says the format
        study.write_log(tmp, ids=True)
        tmp.replace(log)
    if as_json:
        emit_json(study.to_dict())
    else:
        typer.echo(render_check(study))
        if log is not None:
            typer.echo(f"derivation log: {log}")
    if not study.ok:
        raise typer.Exit(2)

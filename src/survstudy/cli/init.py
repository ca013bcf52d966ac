"""``survstudy init DATA``: a commented draft study file from a registry."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from survstudy.cli import app, handles_input_errors
from survstudy.errors import InputError, Problem

__all__ = ["init", "init_study"]


def init_study(data: Path, out: Path, dictionary: Path | None = None) -> str:
    """The draft study file's text for ``data`` (read as ``survstudy report`` would read it),
    with paths written relative to ``out``'s folder."""
    from survstudy.data.infer import draft_study, guess_file
    from survstudy.engine.dialect import detect_dialect, dialect_keys
    from survstudy.engine.sources import SUFFIXES

    csv = data.is_file() and SUFFIXES.get(data.suffix.lower()) == "csv"
    dialect = detect_dialect(data) if csv else None  # a European spreadsheet's CSV
    guesses = guess_file(data, dictionary, dialect)
    base = out.resolve().parent
    rel = os.path.relpath(data.resolve(), base)
    dict_rel = os.path.relpath(dictionary.resolve(), base) if dictionary else None
    return draft_study(rel, guesses, dictionary=dict_rel, dialect=dialect_keys(dialect))


@app.command()
@handles_input_errors
def init(
    data: Annotated[Path, typer.Argument(help="The registry: CSV, Parquet, .sav, .dta, ...")],
    dictionary: Annotated[
        Path | None, typer.Option(help="REDCap data dictionary of a raw CSV export.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where to write the draft.")] = Path("study.toml"),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented draft study file from DATA: every column typed, the id column, candidate
    endpoints from the date columns. Check each line marked CHECK, then run survstudy check."""
    if out.exists() and not force:
        raise InputError(Problem("already exists; choose --out or add --force", file=str(out)))
    text = init_study(data, out, dictionary)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}: check each line marked CHECK, then run survstudy check {out}")

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
    from survstudy.data.infer import draft_study, guess_columns
    from survstudy.engine.duckdb import connect
    from survstudy.engine.fileinfo import SourceInfo
    from survstudy.engine.sources import SUFFIXES, csv_scan
    from survstudy.engine.statfiles import STAT_SUFFIXES, stat_info, stat_parquet

    if not data.is_file():
        raise InputError(Problem("data file not found; check the path", file=str(data)))
    suffix = data.suffix.lower()
    info: SourceInfo | None = None
    if suffix in STAT_SUFFIXES:
        relation = f"read_parquet('{str(stat_parquet(data)).replace(chr(39), chr(39) * 2)}')"
        info = stat_info(data)
    elif SUFFIXES.get(suffix) == "csv":
        relation = csv_scan(data)
        if dictionary is not None:
            from survstudy.data.redcap import read_dictionary

            columns = {}
            for f in read_dictionary(dictionary):
                columns.update(f.columns())
            info = SourceInfo(str(dictionary), columns)
    elif SUFFIXES.get(suffix) == "parquet":
        relation = f"read_parquet('{str(data).replace(chr(39), chr(39) * 2)}')"
    else:
        raise InputError(Problem(
            "init reads CSV, Parquet, SPSS, Stata and SAS files; export the sheet as CSV",
            file=str(data)))
    con = connect()
    try:
        guesses = guess_columns(con, relation, info)
    finally:
        con.close()
    if info is not None:
        guesses = [g for g in guesses
                   if not (info.columns.get(g.name) and info.columns[g.name].identifier)]
    base = out.resolve().parent
    rel = os.path.relpath(data.resolve(), base)
    dict_rel = os.path.relpath(dictionary.resolve(), base) if dictionary else None
    return draft_study(rel, guesses, dictionary=dict_rel)


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

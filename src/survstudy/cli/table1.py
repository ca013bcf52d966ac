"""``survstudy table1``: patient characteristics by group, each test chosen and explained."""

from __future__ import annotations

from typing import Annotated

import typer

from survstudy.cli import (
    DataArgument,
    JsonOption,
    app,
    emit_json,
    handles_input_errors,
    split_list,
)
from survstudy.cli.dialect import reads_csv_dialect

__all__ = ["table1"]


@app.command()
@handles_input_errors
@reads_csv_dialect
def table1(
    data: DataArgument,
    group: Annotated[str, typer.Option(help="Column whose values define the groups.")],
    categorical: Annotated[str | None, typer.Option(help="Categorical variables: A,B,...")] = None,
    continuous: Annotated[str | None, typer.Option(help="Continuous variables: X,Y,...")] = None,
    test: Annotated[
        list[str] | None,
        typer.Option(
            help="Force a test for a variable: VAR=TEST (repeatable). Tests: chi-square, "
            "chi-square-yates, fisher, t-test, welch, mann-whitney, anova, kruskal-wallis."
        ),
    ] = None,
    digits: Annotated[int, typer.Option(help="Decimals in the printed table.")] = 1,
    as_json: JsonOption = False,
) -> None:
    """Describe each variable by group and overall, and test the difference between groups.

    The test is chosen per variable (chi-square if every expected count is at least 5, else
    Fisher's exact test; Student's t or ANOVA if Shapiro-Wilk p >= 0.05 in every group, else
    Mann-Whitney or Kruskal-Wallis) unless forced with --test; a footnote says which and why.
    DATA is a CSV, XLSX or Parquet file with one row per patient.
    """
    from survstudy.api.characteristics import characteristics_table
    from survstudy.report.table1 import render_text

    result = characteristics_table(
        str(data), group, split_list(categorical), split_list(continuous), tests=test or []
    )
    if as_json:
        emit_json(result.to_dict())
    else:
        typer.echo(render_text(result, digits=digits))

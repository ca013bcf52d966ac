"""The ``survstudy`` command: parses arguments, calls the public API, prints.

One module per command. Bad input never shows a traceback: every problem found is printed,
one per line, and the exit status is 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypedDict, TypeVar

import typer

from survstudy.errors import InputError

__all__ = [
    "AtOption",
    "CategoricalOption",
    "Coding",
    "ConfLevelOption",
    "CovariatesOption",
    "DataArgument",
    "EventOption",
    "GroupOption",
    "JsonOption",
    "ReferenceOption",
    "StudyFileArgument",
    "TiesOption",
    "TimeOption",
    "app",
    "check_choice",
    "coding",
    "emit_json",
    "fail",
    "handles_input_errors",
    "main",
    "parse_times",
    "print_result",
    "split_list",
    "split_repeated",
]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="From a patient registry to a reproducible survival-study report.",
    pretty_exceptions_enable=False,
)

@app.callback()
def _main() -> None:
    """From a patient registry to a reproducible survival-study report."""
    # a callback keeps `survstudy COMMAND` a group even when only one command is registered


#: The parameters every analysis command shares.
DataArgument = Annotated[
    Path, typer.Argument(help="CSV, XLSX or Parquet file, one row per patient.")
]
TimeOption = Annotated[str, typer.Option(help="Column with the follow-up time.")]
EventOption = Annotated[
    str, typer.Option(help="Event column: COL (0/1, true/false) or COL=CODE[,CODE...].")
]
#: Where the SQL runs (a study file's [data] engine, unless given).
EngineOption = Annotated[
    str | None, typer.Option(help="Where rows are counted: duckdb (default) or spark.")
]
SparkMasterOption = Annotated[
    str | None,
    typer.Option(help="Spark master URL or sc:// Connect URL (default: local, or SPARK_REMOTE)."),
]

CovariatesOption = Annotated[str, typer.Option(help="Covariate columns: A,B,...")]
CategoricalOption = Annotated[str | None, typer.Option(help="Covariates to dummy code: A,B,...")]
ReferenceOption = Annotated[
    list[str] | None,
    typer.Option(help="Reference level of a categorical covariate: COL=LEVEL (repeatable)."),
]
ConfLevelOption = Annotated[float, typer.Option(help="Confidence level.")]
#: Of the commands that fit a Cox model (cox, iptw).
TiesOption = Annotated[str, typer.Option(help="Cox ties: efron (as R) or breslow (SAS, Stata).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
#: Of the commands that draw curves (km, cif).
GroupOption = Annotated[str | None, typer.Option(help="Column whose values define the groups.")]
AtOption = Annotated[str | None, typer.Option(help="Times to read the curves at: T1,T2,...")]
#: Of the commands that read a study file (check, report).
StudyFileArgument = Annotated[Path, typer.Argument(help="The study file (study.toml).")]

P = ParamSpec("P")
R = TypeVar("R")


def fail(problems: InputError) -> None:
    """Print every problem to stderr, in the words of the CLI, and exit with status 2."""
    from survstudy.cli.wording import cli_error

    for p in cli_error(problems).problems:
        label = "error" if p.severity == "error" else p.severity
        typer.echo(f"{label}: {p}", err=True)
    raise typer.Exit(2)


def handles_input_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn :class:`InputError` (and bad option values) into messages and exit status 2."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except InputError as e:
            fail(e)
        except ValueError as e:
            from survstudy.cli.wording import cli_wording

            typer.echo(f"error: {cli_wording(str(e))}", err=True)
            raise typer.Exit(2) from None
        raise AssertionError("unreachable")

    return wrapper


def emit_json(payload: Any) -> None:
    """Print ``payload`` as JSON with NaN written as null (never as invalid ``NaN``)."""
    from survstudy.jsonsafe import dumps

    sys.stdout.write(dumps(payload) + "\n")


def print_result(payload: Any, as_json: bool, render: Callable[[Any], str]) -> None:
    """Print ``payload`` as JSON (``--json``) or as the command's plain text."""
    if as_json:
        emit_json(payload)
    else:
        typer.echo(render(payload))


def check_choice(option: str, value: str, allowed: Sequence[str]) -> None:
    """ValueError (exit status 2) when ``value`` of ``--option`` is not one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"--{option} must be {' or '.join(allowed)}, not {value!r}")


class Coding(TypedDict):
    """The ``categorical=`` and ``reference=`` arguments of a model."""

    categorical: list[str]
    reference: list[str]


def coding(categorical: str | None, reference: list[str] | None) -> Coding:
    """``--categorical A,B`` and ``--reference COL=LEVEL`` (repeatable) as a model's arguments."""
    return {"categorical": split_list(categorical), "reference": split_repeated(reference)}


def parse_times(text: str | None) -> list[float]:
    """``--at "1, 2.5"`` → [1.0, 2.5]; a ValueError naming the item that is not a number."""
    out = []
    for item in split_list(text):
        try:
            out.append(float(item))
        except ValueError:
            raise ValueError(f"--at: {item!r} is not a number") from None
    return out


def split_repeated(items: list[str] | None) -> list[str]:
    """A repeatable option, each given as ``"a, b"`` → every item."""
    return [item for text in (items or []) for item in split_list(text)]


def split_list(text: str | None) -> list[str]:
    """``"a, b,c"`` → ``["a", "b", "c"]``; None → []."""
    return [x.strip() for x in (text or "").split(",") if x.strip()]


#: Every command, by the module that defines it.
COMMANDS = (
    "audit", "check", "cif", "cox", "demo", "finegray", "init", "iptw", "km", "report", "serve",
    "synth", "table1",
)


def _register(command: str | None = None) -> None:
    """Import the command modules (each adds its command to ``app`` when imported).

    With ``command`` only that one is imported: building a Typer command costs a few
    milliseconds per option, which on a 10^7-row ``km`` run is a visible share of the time.
    """
    import importlib

    for name in (command,) if command in COMMANDS else COMMANDS:
        importlib.import_module(f"survstudy.cli.{name}")


def main() -> None:
    _register(sys.argv[1] if len(sys.argv) > 1 else None)
    app()

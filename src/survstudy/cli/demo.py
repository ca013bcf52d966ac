"""``survstudy demo``: a bundled example study run through the same path as ``report``."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated

import typer

from survstudy.cli import app, handles_input_errors

__all__ = ["EXAMPLES", "demo", "example_study", "seed_cohort_path"]

#: Bundled examples: name → folder under ``survstudy/examples`` holding ``study.toml``.
EXAMPLES = {
    "liver_resection": "Liver resection for breast-cancer liver metastases (13 patients)",
    "rotterdam": "Rotterdam breast-cancer cohort (2982 patients)",
}


def seed_cohort_path() -> str:
    """Path of the bundled seed cohort CSV (13 patients)."""
    return str(files("survstudy").joinpath("examples/seed/seed_liver_resection_cohort.csv"))


def example_study(name: str) -> Path:
    """The study file of a bundled example."""
    if name not in EXAMPLES:
        raise ValueError(f"unknown example {name!r}; examples: {', '.join(EXAMPLES)}")
    return Path(str(files("survstudy").joinpath(f"examples/{name}/study.toml")))


@app.command()
@handles_input_errors
def demo(
    name: Annotated[str, typer.Argument(help=f"Example: {', '.join(EXAMPLES)}.")] = (
        "liver_resection"
    ),
    out: Annotated[
        Path | None, typer.Option(help="Folder to write (default: survstudy-demo-NAME/ here).")
    ] = None,
) -> None:
    """Write the report of a bundled example study (default: the seed study).

    NAME is liver_resection (the seed study, 13 patients) or rotterdam (2982 patients).
    """
    from survstudy.cli.report import report

    study = example_study(name)
    typer.echo(f"Example: {EXAMPLES[name]}\nStudy file: {study}")
    report(study, out or Path(f"survstudy-demo-{name}"))

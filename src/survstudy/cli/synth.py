"""``survstudy synth``: write a synthetic liver-resection registry with dates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from survstudy.cli import app, emit_json, handles_input_errors

__all__ = ["synth"]


@app.command()
@handles_input_errors
def synth(
    patients: Annotated[int, typer.Option(help="Number of patients.")],
    out: Annotated[Path, typer.Option(help="Output file: .csv or .parquet.")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same file.")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was written as JSON.")
    ] = False,
) -> None:
    """Write a synthetic registry (dates of breast surgery, metastasis, resection, recurrence,
    death, last contact, and characteristics), readable by the bundled liver_resection study."""
    from survstudy.synth import write_synthetic

    result = write_synthetic(out, patients, seed=seed)
    if as_json:
        emit_json(result.to_dict())
    else:
        typer.echo(
            f"wrote {result.n_patients} synthetic patients ({result.n_died} died) to "
            f"{result.path} (seed {result.seed})"
        )

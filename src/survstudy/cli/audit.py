"""``survstudy audit``: every ``[[published]]`` number of a study beside what the data give."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from survstudy.cli import EngineOption, StudyFileArgument, app, emit_json, handles_input_errors

if TYPE_CHECKING:
    from survstudy.study.claims import ClaimCheck

__all__ = ["audit", "render_audit"]


def _number(check: ClaimCheck, x: float | None) -> str:
    if x is None:
        return "—"
    if check.claim.quantity == "log_rank_p":
        return f"{x:.{max(check.decimals, 3)}f}"
    unit = "%" if check.claim.quantity in ("survival", "percent") else ""
    return f"{x:.{check.decimals}f}{unit}"


def render_audit(checks: tuple[ClaimCheck, ...]) -> str:
    """One block per published number: verdict, printed, computed, what, reason (and note)."""
    lines = [f"{'verdict':<14} {'printed':>8} {'computed':>9}  published number"]
    for i, c in enumerate(checks):
        lines.append(f"{c.verdict:<14} {_number(c, c.claim.value):>8} "
                     f"{_number(c, c.computed):>9}  [{i}] {c.claim.what}")
        lines.append(f"{'':<35}why: {c.reason}")
        if c.claim.note:
            lines.append(f"{'':<35}note in the study file: {c.claim.note}")
    counts: dict[str, int] = {}
    for c in checks:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    lines += ["", ", ".join(f"{n} {v}" for v, n in counts.items())]
    return "\n".join(lines)


@app.command()
@handles_input_errors
def audit(
    study_file: StudyFileArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    engine: EngineOption = None,
) -> None:
    """Check every published number of a study: reproduced, contradicts, impossible,
    outside-range, not-derivable or differs, each with the reason worked out from the data."""
    from survstudy.study import load_study
    from survstudy.study.analysis import analyse_study

    results = analyse_study(load_study(study_file, engine_kind=engine))
    if as_json:
        emit_json([c.to_dict() for c in results.claims])
    else:
        typer.echo(render_audit(results.claims))

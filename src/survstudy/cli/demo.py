"""``survstudy demo``: the bundled seed study (liver resection, 13 patients)."""

from __future__ import annotations

from importlib.resources import files

from survstudy.cli import app, handles_input_errors

__all__ = ["demo", "seed_cohort_path"]


def seed_cohort_path() -> str:
    """Path of the bundled seed cohort CSV (13 patients)."""
    return str(files("survstudy").joinpath("examples/seed/seed_liver_resection_cohort.csv"))


@app.command()
@handles_input_errors
def demo() -> None:
    """Kaplan-Meier analysis of the bundled seed cohort: overall survival by group."""
    from survstudy.cli.km import km

    km(
        data=seed_cohort_path(),  # type: ignore[arg-type]
        time="survival_months",
        event="died",
        group="group",
        at="12,36,60",
        conf_type="log-log",
        conf_level=0.95,
        test="log-rank",
        as_json=False,
    )

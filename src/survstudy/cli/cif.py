"""``survstudy cif``: cumulative incidence under competing risks, with Gray's test."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from survstudy.cli import (
    AtOption,
    ConfLevelOption,
    DataArgument,
    EventOption,
    GroupOption,
    JsonOption,
    TimeOption,
    app,
    handles_input_errors,
    parse_times,
    print_result,
)
from survstudy.cli.km import _fmt

if TYPE_CHECKING:
    from survstudy.engine.cause_counts import CauseCountTable
    from survstudy.stats.survival.cif import CumulativeIncidence

__all__ = ["CompetingOption", "cif", "cif_payload", "render_cif"]

#: The competing-event column and codes (shared with ``finegray``).
CompetingOption = Annotated[
    str,
    typer.Option(help="Competing events: COL=CODE[,CODE...] (or a 0/1 column). Other codes "
                      "are censored."),
]


def cif_payload(
    result: CumulativeIncidence,
    counts: CauseCountTable,
    *,
    time: str,
    event: str,
    competing: str,
    group: str | None,
    at: list[float],
    test: dict[str, Any] | None,
) -> dict[str, Any]:
    """The ``cif --json`` document: numbers only, in the issue's shape, plus the choices."""
    return {
        "time": time,
        "event": event,
        "competing": competing,
        "group": group,
        "conf_level": result.conf_level,
        "variance_method": result.variance_method,
        "ci_method": result.ci_method,
        "groups": result.summary(at=at),
        "test": test,
        "excluded": {"rows": counts.excluded},
        "ties_merged": counts.ties_merged,
    }


def render_cif(payload: dict[str, Any]) -> str:
    """A plain-text table of the ``cif`` result, for the terminal."""
    lines = [
        f"Cumulative incidence: time '{payload['time']}', event {payload['event']}, "
        f"competing {payload['competing']}"
        + (f", by '{payload['group']}'" if payload["group"] else ""),
        f"{round(payload['conf_level'] * 100)}% CI: log(-log); rows excluded for missing "
        f"values: {payload['excluded']['rows']}",
        "",
    ]
    for g in payload["groups"]:
        lines.append(f"{g['group']}: n = {g['n']:g}, events = {g['events']:g}, "
                     f"competing events = {g['competing']:g}")
        if g["at"]:
            lines.append(f"  {'time':>8} {'at risk':>8} {'CIF':>7} {'std.err':>8} {'CI':>13}")
        for a in g["at"]:
            ci = f"{_fmt(a['ci_lower'])}-{_fmt(a['ci_upper'])}"
            lines.append(f"  {a['time']:>8g} {a['n_risk']:>8g} {_fmt(a['cif']):>7} "
                         f"{_fmt(a['std_err']):>8} {ci:>13}")
    t = payload["test"]
    if t:
        stat = "not estimable" if t["statistic"] is None else f"{t['statistic']:.3f}"
        p = "NE" if t["p_value"] is None else f"{t['p_value']:.4g}"
        lines += ["", f"Gray's test (rho = {t['rho']:g}): chi-square = {stat}, df = {t['df']}, "
                      f"p = {p}" + (f", stratified by '{t['by']}'" if t.get("by") else "")]
    lines.append("NE: not estimable (past the group's last follow-up, or no interval at 0).")
    return "\n".join(lines)


@app.command()
@handles_input_errors
def cif(
    data: DataArgument,
    time: TimeOption,
    event: EventOption,
    competing: CompetingOption,
    group: GroupOption = None,
    at: AtOption = None,
    rho: Annotated[float, typer.Option(help="Gray's test weight power (1 - F)^rho.")] = 0.0,
    strata: Annotated[
        str | None, typer.Option(help="Column whose values stratify Gray's test.")
    ] = None,
    conf_level: ConfLevelOption = 0.95,
    as_json: JsonOption = False,
) -> None:
    """Cumulative incidence of an event with competing events (Aalen-Johansen, cmprsk).

    DATA is a CSV, XLSX or Parquet file with one row per patient.
    """
    from survstudy.api.competing import competing_counts, gray_test
    from survstudy.stats.survival.cif import cumulative_incidence_counts, gray_test_counts

    times = parse_times(at)
    if strata is not None and group is None:
        raise ValueError("--strata stratifies Gray's test between groups: give --group too")
    counts = competing_counts(str(data), time, event, competing, group)
    result = cumulative_incidence_counts(counts, conf_level=conf_level)
    test = None
    if group is not None and len(result) > 1:
        if strata is None:  # the counts already made: no second scan
            test = gray_test_counts(counts, rho=rho).to_dict()
        else:
            test = gray_test(str(data), time, event, competing, group, strata=strata,
                             rho=rho).to_dict()
            test["by"] = strata
    payload = cif_payload(result, counts, time=time, event=event, competing=competing,
                          group=group, at=times, test=test)
    print_result(payload, as_json, render_cif)

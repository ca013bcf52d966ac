"""``survstudy km``: Kaplan-Meier curves, survival at chosen times, medians and a test."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from survstudy.cli import (
    AtOption,
    ConfLevelOption,
    DataArgument,
    EngineOption,
    EventOption,
    GroupOption,
    JsonOption,
    SparkMasterOption,
    TimeOption,
    app,
    handles_input_errors,
    parse_times,
    print_result,
)
from survstudy.cli.dialect import reads_csv_dialect

if TYPE_CHECKING:
    from survstudy.engine.counts import CountTable
    from survstudy.stats.survival.km import KaplanMeier

__all__ = ["km", "km_payload", "render_km"]

TESTS = ("log-rank", "peto-peto", "tarone-ware", "gehan", "exact")


def km_payload(
    result: KaplanMeier,
    counts: CountTable,
    *,
    time: str,
    event: str,
    group: str | None,
    at: list[float],
    test: dict[str, Any] | None,
) -> dict[str, Any]:
    """The ``km --json`` document: numbers only, as the issue's shape, plus the counts."""
    return {
        "time": time,
        "event": event,
        "group": group,
        "conf_type": result.conf_type,
        "conf_level": result.conf_level,
        "groups": result.summary(at=at, quantiles=(0.25, 0.5, 0.75)),
        "test": test,
        "excluded": {"rows": counts.excluded},
        "ties_merged": counts.ties_merged,
        "variance": result.variance,
    }


def _fmt(x: float | None, digits: int = 3) -> str:
    return "NE" if x is None else f"{x:.{digits}f}"


def render_km(payload: dict[str, Any]) -> str:
    """A plain-text table of the ``km`` result, for the terminal."""
    lines = [
        f"Kaplan-Meier: time '{payload['time']}', event {payload['event']}"
        + (f", by '{payload['group']}'" if payload["group"] else ""),
        f"{int(payload['conf_level'] * 100)}% CI: {payload['conf_type']}; "
        f"rows excluded for missing values: {payload['excluded']['rows']}",
        "",
    ]
    for g in payload["groups"]:
        lo, hi = g["median_ci"]
        median = "not reached" if g["median"] is None else f"{g['median']:g}"
        lines.append(
            f"{g['group']}: n = {g['n']:g}, events = {g['events']:g}, median = {median} "
            f"(95% CI {_fmt(lo, 1) if lo is not None else 'NE'} to "
            f"{_fmt(hi, 1) if hi is not None else 'NE'})"
        )
        if g["at"]:
            lines.append(f"  {'time':>8} {'at risk':>8} {'survival':>9} {'std.err':>8} {'CI':>17}")
        for a in g["at"]:
            ci = f"{_fmt(a['ci_lower'])}-{_fmt(a['ci_upper'])}"
            lines.append(
                f"  {a['time']:>8g} {a['n_risk']:>8g} {_fmt(a['survival']):>9} "
                f"{_fmt(a['std_err']):>8} {ci:>17}"
            )
    t = payload["test"]
    if t:
        lines += ["", f"{t['method']}: chi-square = {t['statistic']:.3f}, df = {t['df']}, "
                      f"p = {t['p_value']:.4g}"]
        if "n_relabelings" in t:
            how = (f"all {t['n_relabelings']} relabelings" if t["std_err"] == 0
                   else f"{t['n_draws']} random relabelings, seed {t['seed']}, "
                        f"Monte Carlo SE {t['std_err']:.2g}")
            lines.append(f"  permutation test of the log-rank chi-square over {how}; "
                         f"asymptotic p = {t['asymptotic_p_value']:.4g}")
    lines.append("NE: not estimable (no patient followed that long).")
    return "\n".join(lines)


@app.command()
@handles_input_errors
@reads_csv_dialect
def km(
    data: DataArgument,
    time: TimeOption,
    event: EventOption,
    group: GroupOption = None,
    at: AtOption = None,
    conf_type: Annotated[
        str, typer.Option(help="CI transform: log-log (default), log (R's default) or plain.")
    ] = "log-log",
    conf_level: ConfLevelOption = 0.95,
    test: Annotated[
        str, typer.Option(help=f"Test between groups: {', '.join(TESTS)}.")
    ] = "log-rank",
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    weights: Annotated[
        str | None, typer.Option(help="Column of case weights (e.g. IPTW weights).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Kaplan-Meier estimates by group, with survival at chosen times, medians and a test.

    DATA is a CSV, XLSX or Parquet file with one row per patient.
    """
    from survstudy.api.survival import ENGINES, survival_counts
    from survstudy.stats.survival.exact_logrank import exact_log_rank
    from survstudy.stats.survival.km import CONF_TYPES, kaplan_meier_counts
    from survstudy.stats.survival.logrank import weighted_log_rank

    if conf_type not in CONF_TYPES:
        raise ValueError(f"--conf-type must be one of {', '.join(CONF_TYPES)}, not {conf_type!r}")
    if test not in TESTS:
        raise ValueError(f"--test must be one of {', '.join(TESTS)}, not {test!r}")
    engine = engine or "duckdb"
    if engine not in ENGINES:
        raise ValueError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    times = parse_times(at)
    result = None
    if weights is not None:
        from survstudy.api.survival import kaplan_meier

        if engine != "duckdb" or test == "exact":
            raise ValueError("--weights works with the duckdb engine and without --test exact")
        result = kaplan_meier(str(data), time, event, group, conf_type=conf_type,  # type: ignore[arg-type]
                              conf_level=conf_level, weights=weights)
        counts = result.counts
    else:
        counts = survival_counts(str(data), time, event, group, engine=engine,  # type: ignore[arg-type]
                                 spark_master=spark_master)
    test_result = None  # before the curves: at 10^7 times, their arrays and the test's add up
    if group is not None and weights is None and sum(1 for s in counts if s.time.size) > 1:
        if test == "exact":
            test_result = exact_log_rank(counts).to_dict()
        else:
            test_result = weighted_log_rank(counts, test).to_dict()  # type: ignore[arg-type]
    if result is None:
        result = kaplan_meier_counts(counts, conf_type=conf_type, conf_level=conf_level)  # type: ignore[arg-type]
    payload = km_payload(
        result, counts, time=time, event=event, group=group, at=times, test=test_result
    )
    payload["weights"] = weights
    print_result(payload, as_json, render_km)

"""Endpoint derivation from dates (SQL in DuckDB): hand-worked cases, units, the cutoff, and
properties. Each case puts day numbers in a DuckDB table and evaluates the derived SQL."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from survstudy.config.models import Endpoint, Interval
from survstudy.config.parse import parse_config
from survstudy.data.endpoints import (
    AT_CONTACT,
    AT_CUTOFF,
    EVENT,
    EVENT_AFTER_CUTOFF,
    NEGATIVE,
    NO_FOLLOW_UP,
    NO_ORIGIN,
    REASONS,
    Derived,
    derivation_log_sql,
    derive_select,
    endpoint_sql,
    interval_sql,
    ready_made_sql,
)

NAN = np.nan
DAY0 = dt.date(1970, 1, 1)


def d(text: str) -> float:
    return float((dt.date.fromisoformat(text) - DAY0).days)


def config(unit: str = "months", cutoff: str | None = "2011-12-30"):  # type: ignore[no-untyped-def]
    text = f'[study]\ntime_unit = "{unit}"\n[data]\nsource = "x.csv"\nid = "id"\n'
    text += '[follow_up]\nlast_contact = "contact"\n'
    if cutoff:
        text += f"cutoff = {cutoff}\n"
    return parse_config(text).config


def arr(*texts: str | None) -> np.ndarray:
    return np.array([NAN if t is None else d(t) for t in texts])


def run(derived: Derived, dates: dict[str, Any], **extra: Any) -> SimpleNamespace:
    """Evaluate ``derived`` over day-number columns (NaN = missing) as load_study does."""
    con = duckdb.connect()
    frame = pd.DataFrame({f"{k}#d": v for k, v in dates.items()} | extra)
    con.register("t", frame)
    out = con.sql(derive_select([derived], "t")).df()
    n = derived.name

    def col(name: str) -> np.ndarray:
        return out[name].to_numpy(dtype=float, na_value=np.nan)

    if derived.event is None:
        return SimpleNamespace(
            time=col(n),
            days=col(f"{n}#end") - col(f"{n}#origin"),
            flag=out,
            reason=out[f"{n}#reason"].to_numpy(),
        )
    time = col(derived.time)
    return SimpleNamespace(
        time=time,
        event=col(derived.event),
        end=col(f"{n}#end"),
        reason=out[f"{n}#reason"].to_numpy(),
        end_column=out[f"{n}#endcol"].to_numpy(),
        derived=~np.isnan(time),
        unit=derived.unit,
        con=con,
        frame=out,
    )


def derive_endpoint(name: str, spec: Endpoint, cfg: Any, dates: dict[str, Any], n: int) -> Any:
    return run(endpoint_sql(name, spec, cfg), dates)


OS = Endpoint(origin="start", events=["death"])
RFS = Endpoint(origin="start", events=["recurrence", "death"])


def test_hand_worked_overall_survival() -> None:
    dates = {
        "start": arr("2010-01-01", "2010-01-01", "2010-01-01", "2010-01-01", "2010-01-01"),
        "death": arr("2010-07-01", None, "2012-03-01", None, "2011-12-30"),
        "contact": arr("2010-07-01", "2011-01-01", "2012-03-01", "2013-01-01", "2011-12-30"),
    }
    ep = derive_endpoint("os", OS, config("days"), dates, 5)
    assert ep.time.tolist() == [181, 365, 728, 728, 728]
    assert ep.event.tolist() == [1, 0, 0, 0, 1]
    assert ep.reason.tolist() == [EVENT, AT_CONTACT, EVENT_AFTER_CUTOFF, AT_CUTOFF, EVENT]
    assert ep.end_column.tolist() == ["death", "contact", "cutoff", "cutoff", "death"]


def test_units() -> None:
    dates = {"start": arr("2000-01-01"), "death": arr(None), "contact": arr("2001-01-01")}
    days = 366.0
    for unit, per in (("days", 1), ("months", 30.4375), ("years", 365.25)):
        ep = derive_endpoint("os", OS, config(unit), dates, 1)
        assert ep.time[0] == pytest.approx(days / per, rel=1e-15)
        assert ep.unit == unit


def test_first_event_wins_and_says_which() -> None:
    dates = {
        "start": arr("2010-01-01", "2010-01-01", "2010-01-01"),
        "recurrence": arr("2010-03-01", None, "2010-09-01"),
        "death": arr("2010-06-01", "2010-05-01", "2010-08-01"),
        "contact": arr("2010-06-01", "2010-05-01", "2010-09-01"),
    }
    ep = derive_endpoint("rfs", RFS, config("days"), dates, 3)
    assert ep.end_column.tolist() == ["recurrence", "death", "death"]
    assert ep.time.tolist() == [59, 120, 212]
    assert (ep.event == 1).all()


def test_no_cutoff() -> None:
    dates = {"start": arr("2010-01-01"), "death": arr("2030-01-01"), "contact": arr("2030-01-01")}
    ep = derive_endpoint("os", OS, config("days", cutoff=None), dates, 1)
    assert ep.event[0] == 1
    assert ep.end_column[0] == "death"


def test_not_derived() -> None:
    dates = {
        "start": arr(None, "2010-01-01", "2010-01-01"),
        "death": arr("2011-01-01", None, None),
        "contact": arr("2011-01-01", None, "2009-01-01"),
    }
    ep = derive_endpoint("os", OS, config(), dates, 3)
    assert np.isnan(ep.time).all()
    assert np.isnan(ep.event).all()
    assert ep.reason.tolist() == [NO_ORIGIN, NO_FOLLOW_UP, NEGATIVE]
    assert not ep.derived.any()


def test_censor_column_override() -> None:
    spec = Endpoint(origin="start", events=["death"], censor="visit")
    dates = {
        "start": arr("2010-01-01"),
        "death": arr(None),
        "contact": arr("2011-01-01"),
        "visit": arr("2010-02-01"),
    }
    ep = derive_endpoint("os", spec, config("days"), dates, 1)
    assert ep.time[0] == 31
    assert ep.end_column[0] == "visit"


def test_interval_and_flag() -> None:
    spec = Interval(start="a", end="b", flag="synchronous", flag_within_days=90)
    dates = {
        "a": arr("2010-01-01", "2010-01-01", "2010-01-01", None),
        "b": arr("2009-10-01", "2010-04-01", "2010-04-02", "2010-01-01"),
    }
    iv = run(interval_sql("gap", spec, config()), dates)
    assert iv.days[:3].tolist() == [-92, 90, 91]
    assert iv.flag["synchronous"].tolist()[:3] == ["yes", "yes", "no"]
    assert iv.flag["synchronous"].isna().tolist()[3]
    assert iv.time[1] == pytest.approx(90 / 30.4375)


def test_ready_made_converts_units() -> None:
    spec = Endpoint(time="t", event="e", unit="days")
    ep = run(
        ready_made_sql("os", spec, config("months"), "t", "e"),
        {},
        t=[30.4375, NAN, -1.0],
        e=[1.0, 0.0, 1.0],
    )
    assert ep.time[0] == pytest.approx(1.0)
    assert np.isnan(ep.time[1:]).all()
    assert ep.reason[0] == REASONS.index("ready-made time and event")


def test_log() -> None:
    dates = {
        "start": arr("2010-01-01", None),
        "death": arr("2010-07-01", None),
        "contact": arr("2010-07-01", "2011-01-01"),
    }
    ep = derive_endpoint("os", OS, config("days"), dates, 2)
    ep.frame["id"] = ["a", "b"]
    ep.frame["__row"] = [0, 1]
    ep.con.register("derived", ep.frame)
    derived = endpoint_sql("os", OS, config("days"))
    log = ep.con.sql(derivation_log_sql([derived], "derived", "__row + 2", "id")).df()
    assert log["reason"].tolist() == ["event", "not derived: origin date missing"]
    assert log["event"].tolist()[0] == 1
    assert log["event"].isna().tolist() == [False, True]
    assert str(log["end_date"].iloc[0].date()) == "2010-07-01"


day_numbers = st.integers(min_value=d("1990-01-01"), max_value=d("2015-12-31"))
maybe = st.one_of(st.none(), day_numbers)


@given(st.lists(st.tuples(day_numbers, maybe, maybe, maybe), min_size=1, max_size=40))
def test_properties(rows: list[tuple[int, int | None, int | None, int | None]]) -> None:
    def col(i: int) -> np.ndarray:
        return np.array([NAN if r[i] is None else float(r[i]) for r in rows])  # type: ignore[misc]

    dates = {"start": col(0), "recurrence": col(1), "death": col(2), "contact": col(3)}
    cfg = config("days")
    cutoff = d("2011-12-30")
    ep = derive_endpoint("rfs", RFS, cfg, dates, len(rows))
    ok = ep.derived
    # times are never negative; follow-up never passes the cutoff
    assert (ep.time[ok] >= 0).all()
    assert (ep.end[ok] <= cutoff).all()
    first = np.fmin(dates["recurrence"], dates["death"])
    # an event is counted exactly when its date is on or before the cutoff
    assert ((ep.event[ok] == 1) == (first[ok] <= cutoff)).all()
    # the time is the end minus the origin
    assert np.array_equal(ep.time[ok], ep.end[ok] - dates["start"][ok])
    # not derived only for a reason
    assert set(ep.reason[~ok].tolist()) <= {NO_ORIGIN, NO_FOLLOW_UP, NEGATIVE}

"""Dates: ISO, explicit formats, Excel serials (1900 with its phantom day, 1904), refusals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from survstudy.data.dates import (
    AMBIGUOUS,
    INVALID,
    MISSING,
    OK,
    PARTIAL,
    PHANTOM,
    days_to_date,
    excel_serial_to_days,
    parse_date,
    parse_dates,
)

DAY0 = dt.date(1970, 1, 1)


def day(y: int, m: int, d: int) -> float:
    return float((dt.date(y, m, d) - DAY0).days)


def one(value: object, **kw: object) -> tuple[float, int, str]:
    p = parse_dates(pd.Series([value], dtype=object), **kw)  # type: ignore[arg-type]
    return p.days[0], int(p.code[0]), p.reason(0)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2010-04-03", day(2010, 4, 3)),
        ("2010-4-3", day(2010, 4, 3)),
        ("2010/04/03", day(2010, 4, 3)),
        ("20100403", day(2010, 4, 3)),
        ("2010-04-03 00:00:00", day(2010, 4, 3)),
        ("2010-04-03T14:30", day(2010, 4, 3)),
        (" 2010-04-03 ", day(2010, 4, 3)),
        ("3 Apr 2010", day(2010, 4, 3)),
        ("03-Apr-2010", day(2010, 4, 3)),
        ("April 3, 2010", day(2010, 4, 3)),
    ],
)
def test_unambiguous_text(text: str, want: float) -> None:
    assert one(text)[:2] == (want, OK)


def test_ambiguous_day_month_is_refused_without_a_format() -> None:
    days, code, why = one("03/04/2010")
    assert np.isnan(days)
    assert code == AMBIGUOUS
    assert "3 April 2010 or 4 March 2010" in why
    assert "date_format" in why
    # even when only one reading is a real date, the order is not guessed
    assert one("25/12/2010")[1] == AMBIGUOUS
    assert one("03/04/10")[1] == AMBIGUOUS


def test_explicit_format() -> None:
    assert one("03/04/2010", format="%d/%m/%Y")[:2] == (day(2010, 4, 3), OK)
    assert one("03/04/2010", format="%m/%d/%Y")[:2] == (day(2010, 3, 4), OK)
    _days, code, why = one("2010.04.03x", format="%d/%m/%Y")
    assert code == INVALID
    assert "%d/%m/%Y" in why
    # ISO dates are accepted alongside the format
    assert one("2010-04-03", format="%d/%m/%Y")[:2] == (day(2010, 4, 3), OK)


@pytest.mark.parametrize("text", ["2010", "2010-05", "05/2010", "May 2010", "2010/5"])
def test_partial_dates_are_flagged(text: str) -> None:
    days, code, why = one(text)
    assert np.isnan(days)
    assert code == PARTIAL
    assert "partial" in why


def test_year_as_number_is_partial_not_a_serial() -> None:
    assert one(2010)[1] == PARTIAL
    assert one(2010.0)[1] == PARTIAL


@pytest.mark.parametrize("text", ["2010-02-30", "2011-02-29", "2010-13-01"])
def test_impossible_dates(text: str) -> None:
    assert one(text)[1] == INVALID


def test_not_a_date() -> None:
    assert one("unknown")[1] == INVALID
    assert one(True)[1] == INVALID


def test_missing() -> None:
    p = parse_dates(pd.Series(["", None, np.nan, "  "], dtype=object))
    assert np.isnan(p.days).all()
    assert (p.code == MISSING).all()


# Excel's own answers: =DATE(...) in a 1900-system and a 1904-system workbook
@pytest.mark.parametrize(
    ("serial", "want"),
    [
        (1, dt.date(1900, 1, 1)),
        (59, dt.date(1900, 2, 28)),
        (61, dt.date(1900, 3, 1)),
        (25569, dt.date(1970, 1, 1)),
        (40179, dt.date(2010, 1, 1)),
        (40909.75, dt.date(2012, 1, 1)),  # time of day dropped
        (2958465, dt.date(9999, 12, 31)),
    ],
)
def test_excel_1900(serial: float, want: dt.date) -> None:
    days, code, _ = excel_serial_to_days(serial, 1900)
    assert code == OK
    assert days_to_date(days) == want


def test_excel_1900_phantom_29_february() -> None:
    days, code, why = excel_serial_to_days(60, 1900)
    assert np.isnan(days)
    assert code == PHANTOM
    assert "29 February 1900" in why
    assert one(60)[1] == PHANTOM
    assert one("60")[1] == PHANTOM
    assert excel_serial_to_days(0, 1900)[1] == INVALID


@pytest.mark.parametrize(
    ("serial", "want"),
    [(0, dt.date(1904, 1, 1)), (1, dt.date(1904, 1, 2)), (38717, dt.date(2010, 1, 1))],
)
def test_excel_1904(serial: float, want: dt.date) -> None:
    days, code, _ = excel_serial_to_days(serial, 1904)
    assert code == OK
    assert days_to_date(days) == want
    assert one(serial, excel_system=1904)[:2] == (days, OK)


def test_serials_are_counted() -> None:
    p = parse_dates(pd.Series([40179, "40180", "2010-01-01", None], dtype=object))
    assert p.serials == 2
    assert (p.days[:3] == [day(2010, 1, 1), day(2010, 1, 2), day(2010, 1, 1)]).all()


def test_typed_dates() -> None:
    s = pd.Series(pd.to_datetime(["2010-04-03", None, "1899-12-31"]))
    p = parse_dates(s)
    assert p.days[0] == day(2010, 4, 3)
    assert np.isnan(p.days[1])
    assert p.days[2] == day(1899, 12, 31)
    objs = pd.Series(
        [dt.date(2010, 4, 3), dt.datetime(2010, 4, 3, 12), np.datetime64("2010-04-03")],
        dtype=object,
    )
    assert (parse_dates(objs).days == day(2010, 4, 3)).all()


def test_parse_date_single() -> None:
    assert parse_date("2011-12-30") == dt.date(2011, 12, 30)
    with pytest.raises(ValueError, match="ambiguous"):
        parse_date("03/04/2010")


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)))
def test_excel_1900_round_trip(d: dt.date) -> None:
    serial = (d - dt.date(1899, 12, 30)).days
    days, code, _ = excel_serial_to_days(serial, 1900)
    assert code == OK
    assert days_to_date(days) == d


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_iso_round_trip(d: dt.date) -> None:
    days, code, _ = one(d.isoformat())
    assert code == OK
    assert days_to_date(days) == d


@given(st.lists(st.dates(min_value=dt.date(1900, 1, 1)), min_size=1, max_size=30))
def test_distinct_values_map_back_to_rows(ds: list[dt.date]) -> None:
    p = parse_dates(pd.Series([d.isoformat() for d in ds], dtype=object))
    assert [days_to_date(x) for x in p.days] == ds

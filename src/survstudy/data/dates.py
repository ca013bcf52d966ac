"""Dates read from a registry: ISO text, an explicit format, Excel serial numbers, date cells.

A registry date column arrives as text (CSV), as date cells or serial numbers (XLSX), or as
typed dates (Parquet, SQL). :func:`parse_dates` turns any of these into day numbers (days since
1970-01-01, NaN when missing or unusable) and says, value by value, why a value could not be
used. It never guesses: ``03/04/2010`` is refused unless the study file gives a format, and a
year or a month alone is flagged as a partial date rather than completed to the 1st.

Excel stores dates as day serials. In the 1900 system serial 1 is 1900-01-01 and serial 60 is
the 29 February 1900 that never existed (Lotus 1-2-3 treated 1900 as a leap year and Excel kept
the bug), so serials from 61 on count from 1899-12-30; in the 1904 system (old Mac workbooks)
serial 0 is 1904-01-01. Parsing works on the distinct values of a column, so a registry of
millions of rows costs one pass over its few thousand distinct dates.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from survstudy.arrays import FloatArray

__all__ = [
    "ISSUES",
    "ExcelSystem",
    "ParsedDates",
    "days_to_date",
    "excel_serial_to_days",
    "parse_date",
    "parse_dates",
]

ExcelSystem = Literal[1900, 1904]

#: Issue codes, index = code stored per value. 0 means the value is a usable date.
ISSUES = ("", "missing", "partial", "ambiguous", "invalid", "phantom")
OK, MISSING, PARTIAL, AMBIGUOUS, INVALID, PHANTOM = range(6)

_EPOCH = dt.date(1970, 1, 1)
_EXCEL_1900 = (dt.date(1899, 12, 30) - _EPOCH).days  # day number of serial 0, from serial 61 on
_EXCEL_1904 = (dt.date(1904, 1, 1) - _EPOCH).days
_MAX_SERIAL = 2958465  # 9999-12-31 in the 1900 system

_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_ISO_BASIC = re.compile(r"(\d{4})(\d{2})(\d{2})")
_YEAR = re.compile(r"\d{4}")
_YEAR_MONTH = re.compile(r"\d{4}[-/.]\d{1,2}|\d{1,2}[-/.]\d{4}")
_MONTH_NAME_YEAR = re.compile(r"[A-Za-z]{3,9}\.?[ -]\d{4}")
_NUMERIC_DMY = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d*)?")
_NAMED_FORMATS = (
    "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%B-%Y", "%d %b, %Y", "%d.%b.%Y",
    "%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y",
)  # fmt: skip



@dataclass(frozen=True)
class ParsedDates:
    """A parsed date column: day numbers, and per value an issue code and a reason.

    ``days`` holds days since 1970-01-01 (NaN when missing or unusable); ``code`` indexes
    :data:`ISSUES`; :meth:`reason` explains the issue of one row. ``serial`` marks values read
    as Excel serial numbers (so a caller can say which date system was assumed).
    """

    days: FloatArray
    code: NDArray[np.int8]
    serial: NDArray[np.bool_]
    _inverse: NDArray[np.intp]
    _reasons: tuple[str, ...]

    def reason(self, i: int) -> str:
        """Why row ``i`` is not a usable date ("" when it is)."""
        k = int(self._inverse[i])
        return "" if k < 0 else self._reasons[k]

    def __len__(self) -> int:
        return int(self.days.size)

    @property
    def serials(self) -> int:
        """How many values were read as Excel serial numbers."""
        return int(self.serial.sum())


def days_to_date(days: float) -> dt.date:
    """Day number (days since 1970-01-01) → date."""
    return _EPOCH + dt.timedelta(days=int(days))


def _day_number(d: dt.date) -> int:
    return (d - _EPOCH).days


def excel_serial_to_days(serial: float, system: ExcelSystem = 1900) -> tuple[float, int, str]:
    """An Excel serial → (day number, issue code, reason); the time of day is dropped."""
    whole = int(np.floor(serial))
    if system == 1904:
        if whole < 0 or whole > _MAX_SERIAL - 1462:
            return np.nan, INVALID, "is not an Excel date serial (1904 system)"
        return float(_EXCEL_1904 + whole), OK, ""
    if whole < 1 or whole > _MAX_SERIAL:
        return np.nan, INVALID, "is not an Excel date serial (1900 system starts at 1)"
    if whole == 60:
        return (
            np.nan,
            PHANTOM,
            (
                "is Excel's serial 60, 29 February 1900, a day that never existed (the 1900 "
                "date system's leap-year bug); enter the real date"
            ),
        )
    # serials 1-59 are one day off the 1899-12-30 origin because of the phantom day
    return float(_EXCEL_1900 + whole + (1 if whole < 60 else 0)), OK, ""


def _from_parts(year: int, month: int, day: int) -> tuple[float, int, str]:
    try:
        return float(_day_number(dt.date(year, month, day))), OK, ""
    except ValueError:
        return np.nan, INVALID, f"is not a real date (year {year}, month {month}, day {day})"


def _parse_number(x: float, system: ExcelSystem) -> tuple[float, int, str, bool]:
    if not np.isfinite(x):
        return np.nan, MISSING, "", False
    if x == int(x) and 1000 <= x <= 2200:
        return (
            np.nan,
            PARTIAL,
            (
                "looks like a year alone: a partial date; give the full date (day, month and "
                "year) or leave it empty"
            ),
            False,
        )
    days, code, why = excel_serial_to_days(x, system)
    return days, code, why, True


def _parse_text(text: str, fmt: str | None, system: ExcelSystem) -> tuple[float, int, str, bool]:
    s = text.strip()
    if not s:
        return np.nan, MISSING, "", False
    m = _ISO.fullmatch(s) or _ISO_BASIC.fullmatch(s)
    if m:
        return (*_from_parts(int(m[1]), int(m[2]), int(m[3])), False)
    if _YEAR.fullmatch(s):
        return (
            np.nan,
            PARTIAL,
            ("is a year alone: a partial date; give the full date or leave it empty"),
            False,
        )
    if _YEAR_MONTH.fullmatch(s) or _MONTH_NAME_YEAR.fullmatch(s):
        return (
            np.nan,
            PARTIAL,
            (
                "has a month and year but no day: a partial date; give the full date or leave "
                "it empty (survstudy does not guess the day)"
            ),
            False,
        )
    if fmt is not None:
        try:
            d = dt.datetime.strptime(s, fmt).date()
        except ValueError:
            return np.nan, INVALID, f"does not match the date format '{fmt}'", False
        return float(_day_number(d)), OK, "", False
    m = _NUMERIC_DMY.fullmatch(s)
    if m:
        a, b, year = int(m[1]), int(m[3]), m[4]
        hint = "; state the order with date_format (e.g. '%d/%m/%Y' or '%m/%d/%Y')"
        if len(year) == 2:
            return np.nan, AMBIGUOUS, "has a two-digit year (which century?)" + hint, False
        if a <= 12 and b <= 12 and a != b:
            first = dt.date(2000, b, 1).strftime("%B")
            second = dt.date(2000, a, 1).strftime("%B")
            return (
                np.nan,
                AMBIGUOUS,
                (f"is ambiguous: {a} {first} {year} or {b} {second} {year}" + hint),
                False,
            )
        return (
            np.nan,
            AMBIGUOUS,
            "does not say whether the day or the month comes first" + hint,
            False,
        )
    for named in _NAMED_FORMATS:
        try:
            return float(_day_number(dt.datetime.strptime(s, named).date())), OK, "", False
        except ValueError:
            continue
    if _NUMBER.fullmatch(s):
        return _parse_number(float(s), system)
    return np.nan, INVALID, "is not a date; write dates as YYYY-MM-DD", False


def _parse_one(value: Any, fmt: str | None, system: ExcelSystem) -> tuple[float, int, str, bool]:
    if value is None:
        return np.nan, MISSING, "", False
    if isinstance(value, dt.datetime):
        return float(_day_number(value.date())), OK, "", False
    if isinstance(value, dt.date):
        return float(_day_number(value)), OK, "", False
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return np.nan, MISSING, "", False
        return float(value.astype("datetime64[D]").astype(np.int64)), OK, "", False
    if isinstance(value, (bool, np.bool_)):
        return np.nan, INVALID, "is true/false, not a date", False
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _parse_number(float(value), system)
    if isinstance(value, str):
        return _parse_text(value, fmt, system)
    return np.nan, INVALID, "is not a date", False


def parse_dates(
    values: Any, *, format: str | None = None, excel_system: ExcelSystem = 1900
) -> ParsedDates:
    """Parse a column (pandas Series or array) of dates of any of the accepted kinds."""
    import pandas as pd

    series = values if isinstance(values, pd.Series) else pd.Series(values)
    n = len(series)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        raw = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        nat = np.isnat(raw)
        days = np.where(nat, np.nan, raw.astype(np.int64).astype(np.float64))
        code = np.where(nat, MISSING, OK).astype(np.int8)
        inverse = np.full(n, -1, dtype=np.intp)
        return ParsedDates(days, code, np.zeros(n, dtype=bool), inverse, ())
    inverse, uniques = pd.factorize(series, use_na_sentinel=True)
    parsed = [_parse_one(u, format, excel_system) for u in uniques]
    u_days = np.array([p[0] for p in parsed] + [np.nan], dtype=np.float64)
    u_code = np.array([p[1] for p in parsed] + [MISSING], dtype=np.int8)
    u_serial = np.array([p[3] for p in parsed] + [False], dtype=bool)
    inv = np.asarray(inverse, dtype=np.intp)  # -1 (missing) picks the appended last entry
    return ParsedDates(
        days=u_days[inv],
        code=u_code[inv],
        serial=u_serial[inv],
        _inverse=inv,
        _reasons=tuple(p[2] for p in parsed),
    )


def parse_date(value: Any, format: str | None = None) -> dt.date:
    """One date (from a study file or an option); ValueError says why it is not usable."""
    days, code, why, _ = _parse_one(value, format, 1900)
    if code != OK:
        raise ValueError(f"{value!r} {why or 'is missing'}")
    return days_to_date(days)

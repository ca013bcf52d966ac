"""Clinical number formatting shared by figures, HTML, Word and text: numbers in, strings out.

Rounding is half away from zero on the shortest decimal form of the number (``0.0575`` →
``"0.058"``, ``0.125`` → ``"0.13"``), as a clinician rounding by hand would, not Python's
round-half-to-even on the binary value. Missing or non-finite values never print as ``nan``:
each function says what it prints instead (``NA`` not available, ``NE`` not estimable,
``NR`` not reached).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "DASH",
    "format_ci",
    "format_count",
    "format_estimate_ci",
    "format_exact_p",
    "format_mean_sd",
    "format_median",
    "format_n_percent",
    "format_number",
    "format_p",
    "format_percent",
    "format_range",
    "format_test_p",
    "format_time",
    "group_label",
    "is_missing",
    "name_of_test",
]

#: Separator between interval bounds (en dash), as journals print ranges.
DASH = "\u2013"
_TEST_NAMES = {
    "log-rank": "Log-rank",
    "peto-peto": "Peto-Peto",
    "tarone-ware": "Tarone-Ware",
    "gehan": "Gehan-Breslow",
}


def is_missing(x: float | None) -> bool:
    """True for None, NaN and infinities: values a report cannot print as a number."""
    return x is None or not math.isfinite(float(x))


def _decimal(x: float) -> Decimal:
    # repr gives the shortest decimal that round-trips, i.e. the number as the user wrote it
    return Decimal(repr(float(x)))


def format_number(x: float | None, digits: int = 1, *, missing: str = "NA") -> str:
    """``x`` with ``digits`` decimals, rounded half away from zero; ``missing`` if absent.

    A value that rounds to zero prints without a minus sign (``-0.04`` → ``"0.0"``).
    """
    if is_missing(x):
        return missing
    assert x is not None
    return _round(_decimal(x), digits)


def _round(value: Decimal, digits: int) -> str:
    if digits < 0:
        raise ValueError("digits must be 0 or more")
    value = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{abs(value) if value.is_zero() else value:f}"


def format_count(n: float | None, *, digits: int = 1, missing: str = "NA") -> str:
    """A count: ``"13"`` when whole, else (weighted data) with ``digits`` decimals; digits
    grouped by commas from five digits on (``"2982"``, ``"12,345"``), as registries need."""
    if is_missing(n):
        return missing
    assert n is not None
    if not float(n).is_integer():
        return format_number(n, digits)
    return f"{int(n):,}" if abs(n) >= 10_000 else str(int(n))


def format_p(p: float | None, digits: int = 3, *, prefix: bool = False, missing: str = "NA") -> str:
    """A p-value: ``"0.058"``, ``"< 0.001"``; with ``prefix``: ``"p = 0.058"``, ``"p < 0.001"``.

    Values below ``10**-digits`` print as ``"< 0.001"`` (never ``"0.000"``); a p that is
    absent or NaN (a test that could not be done) prints ``missing`` (``"p = NA"`` with prefix).
    """
    if digits < 1:
        raise ValueError("p-values need at least 1 decimal")
    if p is None or math.isnan(float(p)):
        return f"p = {missing}" if prefix else missing
    if not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"a p-value lies between 0 and 1, got {p!r}")
    threshold = Decimal(1).scaleb(-digits)
    if _decimal(p) < threshold:
        text = f"< {threshold:f}"
        return f"p {text}" if prefix else text
    text = format_number(p, digits)
    return f"p = {text}" if prefix else text


def format_percent(x: float | None, digits: int = 1, *, missing: str = "NE") -> str:
    """A proportion as a percent: ``0.831`` → ``"83.1%"``; ``missing`` (not estimable) if None."""
    if is_missing(x):
        return missing
    assert x is not None
    return _round(_decimal(x) * 100, digits) + "%"


def format_time(x: float | None, digits: int = 1, *, missing: str = "NE") -> str:
    """A time in the study's unit (``"25.0"``); ``missing`` (not estimable) if None."""
    return format_number(x, digits, missing=missing)


def format_median(x: float | None, digits: int = 1) -> str:
    """A median survival time; ``"NR"`` when the curve never fell to 50% (not reached)."""
    return format_number(x, digits, missing="NR")


def format_ci(
    lo: float | None,
    hi: float | None,
    digits: int = 1,
    *,
    percent: bool = False,
    missing: str = "NE",
    sep: str = DASH,
) -> str:
    """An interval ``"72.1–90.3"``; a bound that is not estimable prints ``missing``.

    With ``percent`` the bounds are proportions printed as percents (``"6.8%–86.3%"``). When a
    bound is negative the separator becomes ``" to "`` so the minus sign is not misread.
    """

    def bound(x: float | None) -> str:
        if percent:
            return format_percent(x, digits, missing=missing)
        return format_number(x, digits, missing=missing)

    a, b = bound(lo), bound(hi)
    if a == b == missing == "NR":  # no bound reached (e.g. one patient, censored): say so
        return "not estimable"
    if a.startswith("-") or b.startswith("-"):
        sep = " to "
    return f"{a}{sep}{b}"


def format_estimate_ci(
    estimate: float | None,
    lo: float | None,
    hi: float | None,
    digits: int = 1,
    *,
    percent: bool = False,
    missing: str = "NE",
    missing_estimate: str | None = None,
) -> str:
    """An estimate with its interval in brackets: ``"53.3% (6.8%–86.3%)"``, ``"25.0 (7.6–NR)"``.

    ``missing`` is printed for absent bounds; ``missing_estimate`` (default ``missing``) for an
    absent estimate, in which case the interval is left out.
    """
    if is_missing(estimate):
        return missing if missing_estimate is None else missing_estimate
    head = format_percent(estimate, digits) if percent else format_number(estimate, digits)
    ci = format_ci(lo, hi, digits, percent=percent, missing=missing)
    return f"{head} ({ci})"


def format_mean_sd(
    mean: float | None, sd: float | None, digits: int = 1, *, missing: str = "NA"
) -> str:
    """Mean ± standard deviation: ``"52.3 ± 8.1"``; the SD alone missing prints ``"52.3 ± NA"``."""
    if is_missing(mean):
        return missing
    return f"{format_number(mean, digits)} \u00b1 {format_number(sd, digits, missing=missing)}"


def format_range(
    lo: float | None, hi: float | None, digits: int = 1, *, missing: str = "NA"
) -> str:
    """A minimum–maximum range: ``"39.0–62.0"`` (``" to "`` when a bound is negative)."""
    return format_ci(lo, hi, digits, missing=missing)


def format_n_percent(
    n: float | None, total: float | None, digits: int = 1, *, missing: str = "NA"
) -> str:
    """A count with its percent of ``total``: ``"4 (57.1%)"``; ``"0 (NA)"`` when total is 0."""
    if is_missing(n):
        return missing
    assert n is not None
    count = format_count(n)
    if is_missing(total) or not total:
        return f"{count} ({missing})"
    share = _decimal(n) * 100 / _decimal(total)  # 28 significant digits, then rounded
    return f"{count} ({_round(share, digits)}%)"


def name_of_test(method: str, strata: Sequence[str] = ()) -> str:
    """A test as a paper names it: ``"log-rank"`` → ``"Log-rank"``, ``"gehan"`` →
    ``"Gehan-Breslow"``, ``"fleming-harrington(1,0)"`` → ``"Fleming-Harrington G(1, 0)"``;
    ``" trend"`` is kept and ``strata`` makes it ``"Stratified …"``."""
    base = method.removesuffix(" trend")
    if base.startswith("fleming-harrington"):
        name = "Fleming-Harrington G" + base.removeprefix("fleming-harrington").replace(",", ", ")
    else:
        name = _TEST_NAMES.get(base, base[:1].upper() + base[1:])
    if method.endswith(" trend"):
        name += " trend"
    if strata:
        name = "Stratified " + (name.lower() if name.startswith("Log-rank") else name)
    return name


def format_test_p(
    method: str, p: float | None, df: int = 1, strata: Sequence[str] = (), digits: int = 3
) -> str:
    """The test named beside its p: ``"Log-rank p = 0.058"``; ``"Log-rank: not testable"``
    when the test had nothing to compare (0 degrees of freedom or no p)."""
    name = name_of_test(method, strata)
    if df == 0 or p is None or math.isnan(p):
        return f"{name}: not testable"
    return f"{name} {format_p(p, digits, prefix=True)}"


def format_exact_p(p: float | None, method: str = "exact permutation", digits: int = 3) -> str:
    """An exact p: ``"Exact p = 0.070"``; estimated by random relabelings it says so."""
    text = f"Exact {format_p(p, digits, prefix=True)}"
    return text + " (Monte Carlo)" if "monte carlo" in method.lower() else text


def group_label(group: str, labels: Mapping[str, str] | None = None) -> str:
    """The name printed for a group: ``labels[group]``, else the value with a capital
    (``"solitary"`` → ``"Solitary"``); the ungrouped cohort is ``"All patients"``."""
    if labels and group in labels:
        return labels[group]
    if group == "all":
        return "All patients"
    return group[:1].upper() + group[1:]

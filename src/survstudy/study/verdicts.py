"""Why a published number is not reproduced: every verdict worked out from the data.

Each ``[[published]]`` number first gets the value the data give (``check_claim``). Then, in
this order:

- **reproduced** — the data give it at the printed precision (rounded half-up);
- **contradicts** — the paper prints the same quantity (kind, endpoint, group, time, variable,
  level) elsewhere with another value, and that other number is reproduced or stated first;
- **not-derivable** — the registry cannot give the quantity (no such endpoint, variable or
  group; an endpoint whose event dates are all empty);
- **impossible** — no data of this size give it: no ``k/n`` rounds to a percentage, no whole
  sum to a mean of whole numbers (GRIM), a count above the number of patients, or a survival
  outside what any death/censoring pattern among the group's follow-up times gives;
- **outside-range** — a survival rate or log-rank p that no pattern reproducing every other
  printed rate of the comparison that the data reproduce gives;
- **differs** — none of these: the difference, and for a mean or SD the rounding rule that
  explains it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from survstudy.config.models import DAYS_PER_UNIT, PublishedValue
from survstudy.stats.characteristics.grim import grim_mean, grim_percent, rounding_rules
from survstudy.stats.survival.attainable import attainable_survival
from survstudy.stats.survival.patterns import PrintedRate, band_of, pattern_range
from survstudy.study.claims import ClaimCheck

if TYPE_CHECKING:
    from survstudy.engine.counts import CountTable
    from survstudy.study.analysis import EndpointResult, StudyResults
    from survstudy.study.load import Study

__all__ = ["contradictions", "judge_claims", "same_quantity"]

_SURVIVAL = ("survival", "median", "log_rank_p")


def same_quantity(a: PublishedValue, b: PublishedValue) -> bool:
    """Whether two printed numbers state the same quantity (kind, endpoint, group, time,
    variable, level); a missing group means all patients."""
    def key(c: PublishedValue) -> tuple[object, ...]:
        group = None if c.group in (None, "all") else str(c.group)
        level = None if c.level is None else str(c.level)
        return (c.quantity, c.endpoint, group, c.at_years, c.variable, level)

    return key(a) == key(b)


def contradictions(claims: Sequence[PublishedValue]) -> list[tuple[int, ...]]:
    """For each claim, the indices of the others printing the same quantity with another
    value (compared at the coarser of the two precisions)."""
    from survstudy.study.claims import printed_decimals

    out = []
    for i, a in enumerate(claims):
        found = []
        for j, b in enumerate(claims):
            if j == i or not same_quantity(a, b):
                continue
            d = min(printed_decimals(a), printed_decimals(b))
            if round(a.value, d) != round(b.value, d):
                found.append(j)
        out.append(tuple(found))
    return out


def _fmt(c: ClaimCheck, x: float, extra: int = 0) -> str:
    digits = max(c.decimals, 3) + extra
    if c.claim.quantity == "log_rank_p":
        return f"{x:.{digits}g}" if x < 0.001 else f"{x:.{digits}f}"
    if c.claim.quantity == "count":
        return f"{x:g}"
    unit = "%" if c.claim.quantity in ("survival", "percent") else ""
    return f"{x:.{c.decimals + extra}f}{unit}"


def _printed(c: ClaimCheck) -> str:
    return _fmt(c, c.claim.value)


def _source(c: PublishedValue) -> str:
    return c.source or "the paper"


class _Scans:
    """The cohort aggregates the verdicts ask for, each computed once: all those announced are
    computed together, in one scan, when the first of them is needed."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self._pending: dict[str, None] = {}
        self._known: dict[str, Any] = {}

    def announce(self, exprs: Sequence[str]) -> None:
        self._pending.update((e, None) for e in exprs if e not in self._known)

    def _scan(self, exprs: Sequence[str]) -> None:
        from survstudy.study.load import COHORT

        row = self.study.engine.sql(f"SELECT {', '.join(exprs)} FROM {COHORT}").fetchall()[0]
        self._known.update(zip(exprs, row, strict=True))

    def get(self, exprs: Sequence[str]) -> list[Any]:
        """The values of ``exprs`` (SQL aggregates over the cohort)."""
        if any(e not in self._known for e in exprs):
            self.announce(exprs)
            todo = list(self._pending)
            self._pending.clear()
            try:
                self._scan(todo)
            except Exception:  # an announced aggregate that fails: ask only for these
                self._scan([e for e in dict.fromkeys(exprs) if e not in self._known])
                self.announce([e for e in todo if e not in self._known])
        return [self._known[e] for e in exprs]


def judge_claims(results: StudyResults, checks: Sequence[ClaimCheck]) -> tuple[ClaimCheck, ...]:
    """The verdict of every check, in the order above, with a generated reason."""
    claims = [c.claim for c in checks]
    pairs = contradictions(claims)
    scans = _Scans(results.study)
    for i, check in enumerate(checks):  # what the checks will ask the data: in one scan
        c = check.claim
        if (check.verdict == "reproduced" and check.computed is not None) or _ahead(
                checks, i, pairs[i]):
            continue
        if c.quantity in _SURVIVAL:
            scans.announce(_event_sql(results.study, c.endpoint or ""))
        elif (c.quantity in ("percent", "count", "mean") and check.computed is not None
              and c.variable in results.study.types):
            scans.announce(_grim_sql(results, c))
    out = []
    for i, check in enumerate(checks):
        check = replace(check, contradicted_by=pairs[i])
        out.append(_judge(results, checks, i, check, scans))
    return tuple(out)


def _judge(results: StudyResults, checks: Sequence[ClaimCheck], i: int,
           check: ClaimCheck, scans: _Scans) -> ClaimCheck:
    claim = check.claim
    if check.verdict == "reproduced" and check.computed is not None:
        how = ("as printed" if claim.quantity == "count" else
               f"which rounds half-up to the printed {_printed(check)}")
        return _with_others(replace(check, reason=f"the data give "
                                    f"{_fmt(check, check.computed, 2)}, {how}"), checks)
    ahead = _ahead(checks, i, check.contradicted_by)
    if ahead:
        j = next((j for j in ahead if checks[j].reproduced), ahead[0])
        other = checks[j]
        reason = (f"{_source(claim)} prints {_printed(check)} where {_source(other.claim)} "
                  f"prints {_printed(other)} for the same quantity")
        if other.reproduced and check.computed is not None:
            reason += f"; the data give {_fmt(check, check.computed, 2)}, as {_source(other.claim)}"
        return replace(check, verdict="contradicts", reason=reason)
    missing = _not_derivable(results, check, scans)
    if missing is not None:
        return replace(check, verdict="not-derivable", reason=missing)
    if claim.quantity in ("percent", "count", "mean"):
        judged = _grim(results, check, scans)
        if judged is not None:
            return judged
    if claim.quantity == "survival":
        return _with_others(_survival(results, checks, check), checks)
    if claim.quantity == "log_rank_p":
        return _with_others(_log_rank(results, checks, check), checks)
    if claim.quantity == "median":
        return _with_others(_median(results, check), checks)
    return _with_others(_differs(check), checks)


def _ahead(checks: Sequence[ClaimCheck], i: int, others: Sequence[int]) -> list[int]:
    """The contradicting numbers that win over check ``i``: reproduced, or printed first."""
    return [j for j in others if checks[j].reproduced or j < i]


def _median(results: StudyResults, check: ClaimCheck) -> ClaimCheck:
    """A median that differs; says so when the printed value is the longest follow-up."""
    judged = _differs(check)
    ep = results.endpoint(check.claim.endpoint or "")
    if ep is None or judged.verdict != "differs":
        return judged
    longest = float(ep.overall.counts.time.max())
    unit = results.study.time_unit
    reason = (f"the data give a median of {_fmt(check, check.computed or 0.0, 1)} {unit}, "
              f"not {_printed(check)}")
    if round(longest, check.decimals) == round(check.claim.value, check.decimals):
        reason += f"; {_printed(check)} {unit} is the longest follow-up time"
    return replace(judged, reason=reason)


def _with_others(check: ClaimCheck, checks: Sequence[ClaimCheck]) -> ClaimCheck:
    """Name the numbers that contradict this one, after its own reason."""
    if not check.contradicted_by or check.verdict == "contradicts":
        return check
    others = "; ".join(f"{_source(checks[j].claim)} prints {_printed(checks[j])}"
                       for j in check.contradicted_by)
    return replace(check, reason=f"{check.reason} ({others} for the same quantity)")


def _differs(check: ClaimCheck) -> ClaimCheck:
    if check.computed is None:
        return check
    c = check.claim
    diff = c.value - check.computed
    extra = 0 if c.quantity == "count" else 2
    reason = (f"the data give {_fmt(check, check.computed, extra)}; the printed "
              f"{_printed(check)} is {abs(diff):.{check.decimals + extra}f} "
              f"{'higher' if diff > 0 else 'lower'}")
    if c.quantity in ("mean", "sd"):
        rules = [r for r in rounding_rules(check.computed, c.value, check.decimals)
                 if r != "rounded down"]
        if rules:
            reason += (f": {_fmt(check, check.computed, 2)} {' or '.join(rules)} (not rounded) "
                       f"gives {_printed(check)}")
        else:
            reason += "; no rounding rule explains it"
    return replace(check, verdict="differs", reason=reason)


def _where(results: StudyResults, claim: PublishedValue) -> str:
    from survstudy.data.sql import lit

    if claim.group not in (None, "all") and results.group is not None:
        return f"{results.study.text(results.group)} = {lit(str(claim.group))}"
    return "TRUE"


def _within(expr: str, where: str) -> str:
    """``expr`` on the rows where ``where`` holds, NULL elsewhere (aggregates skip NULLs)."""
    return expr if where == "TRUE" else f"CASE WHEN {where} THEN {expr} END"


def _grim_sql(results: StudyResults, claim: PublishedValue) -> list[str]:
    """The aggregates :func:`_grim` asks for about ``claim`` (a percent, count or mean)."""
    from survstudy.data.sql import q

    column, where = claim.variable or "", _where(results, claim)
    if claim.quantity == "mean":
        x = f"TRY_CAST({q(column)} AS DOUBLE)"
        return [f"count({_within(x, where)})",
                f"coalesce(bool_and({_within(f'{x} = round({x})', where)}), FALSE)"]
    return [f"count({_within(results.study.text(column), where)})"]


def _grim(results: StudyResults, check: ClaimCheck, scans: _Scans) -> ClaimCheck | None:
    """Impossible by GRIM (percent, mean of whole numbers) or by the count; None otherwise."""
    claim = check.claim
    if claim.quantity == "mean":
        n, whole = scans.get(_grim_sql(results, claim))
        if not n or not whole:
            return None
        g = grim_mean(claim.value, int(n), check.decimals)
        if g.consistent:
            return None
        low, high = g.nearest()
        reason = (f"no mean of {n} whole numbers rounds to {_printed(check)}: the nearest are "
                  f"{low:.{check.decimals + 2}f} and {high:.{check.decimals + 2}f} (GRIM)")
        return replace(check, verdict="impossible", reason=reason, attainable=(low, high))
    n = scans.get(_grim_sql(results, claim))[0]
    if claim.quantity == "count":
        if claim.value > n or claim.value < 0 or not float(claim.value).is_integer():
            return replace(check, verdict="impossible", attainable=(0.0, float(n)),
                           reason=f"a count of {n} patients with a value is a whole number "
                                  f"from 0 to {n}")
        return None
    if not n:
        return None
    g = grim_percent(claim.value, int(n), check.decimals)
    if g.consistent:
        return None
    low, high = g.nearest()
    return replace(check, verdict="impossible", attainable=(low, high),
                   reason=f"no k/{n} rounds to {_printed(check)}: the nearest are "
                          f"{low:.{check.decimals + 2}f}% and {high:.{check.decimals + 2}f}% "
                          "(GRIM)")


def _event_sql(study: Study, name: str) -> list[str]:
    """Non-empty counts of endpoint ``name``'s event date columns that the data have."""
    from survstudy.data.sql import q

    defined = study.config.endpoints.get(name)
    return [f"count({q(c)})" for c in (defined.events or []) if c in study.types] if defined else []


def _not_derivable(results: StudyResults, check: ClaimCheck, scans: _Scans) -> str | None:
    """What the registry lacks for this quantity, or None when it has it."""
    study, claim = results.study, check.claim
    if claim.quantity in _SURVIVAL:
        name = claim.endpoint or ""
        defined = study.config.endpoints.get(name)
        if defined is None:
            known = ", ".join(study.config.endpoints) or "none"
            return (f"the registry gives no endpoint '{name}': the study file defines none "
                    f"(endpoints: {known}), so its event dates are not in the data")
        columns = [c for c in (defined.events or []) if c in study.types]
        if columns:
            counts = scans.get(_event_sql(study, name))
            if not any(counts):
                return (f"{', '.join(columns)} is empty for every patient: the "
                        f"{defined.label or name} events are not in the data")
        if results.endpoint(name) is None:
            return f"the endpoint '{name}' is not analysed ([analysis] endpoints)"
        if claim.quantity == "log_rank_p" and (ep := results.endpoint(name)) and ep.main is None:
            return "the data have no groups to compare"
        if claim.group not in (None, "all") and claim.group not in results.group_levels:
            return f"no group '{claim.group}' in the data"
        if claim.quantity == "median" and check.computed is None:
            return check.reason
        return None
    if check.computed is None:
        return check.reason
    return None


def _years(results: StudyResults, years: float) -> float:
    return years * DAYS_PER_UNIT["years"] / DAYS_PER_UNIT[results.study.time_unit]


def _rows(counts: CountTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The count table's times, group labels and patients per row (not repeated per patient:
    the pattern functions weigh each row by its patients)."""
    exits = (counts.n_event + counts.n_censor).astype(np.int64)
    labels = np.asarray(counts.groups)[counts.stratum]
    return counts.time, labels, exits


def _constraints(results: StudyResults, checks: Sequence[ClaimCheck], check: ClaimCheck,
                 levels: Sequence[str]) -> list[PrintedRate]:
    """The endpoint's other printed survival rates that the data reproduce."""
    rates = []
    for other in checks:
        c = other.claim
        if (other is check or not other.reproduced or c.quantity != "survival"
                or c.endpoint != check.claim.endpoint or c.at_years is None
                or same_quantity(c, check.claim)):
            continue
        group = None if c.group in (None, "all") else str(c.group)
        if group is not None and group not in levels:
            continue
        rates.append(PrintedRate(group, _years(results, c.at_years), c.value, other.decimals))
    return rates


def _label(results: StudyResults, level: str) -> str:
    var = results.study.config.variables.get(results.group or "")
    labels = (var.labels or {}) if var is not None else {}
    return str(labels.get(level, level))


def _rate_text(results: StudyResults, rates: Sequence[PrintedRate]) -> str:
    unit = results.study.time_unit
    parts = [f"{'all patients' if r.group is None else _label(results, r.group)} "
             f"at {r.at:g} {unit} "
             f"{r.percent:.{r.decimals}f}%" for r in rates]
    return ", ".join(parts)


def _values_text(values: Sequence[float], decimals: int) -> str:
    shown = [f"{100 * v:.{decimals}f}%" for v in values]
    return ", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0]


def _survival(results: StudyResults, checks: Sequence[ClaimCheck],
              check: ClaimCheck) -> ClaimCheck:
    claim = check.claim
    ep = results.endpoint(claim.endpoint or "")
    if ep is None or claim.at_years is None:
        return _differs(check)
    at = _years(results, claim.at_years)
    overall = claim.group in (None, "all")
    counts = ep.overall.counts if overall else (ep.main.km.counts if ep.main else None)
    if counts is None:
        return _differs(check)
    time, labels, exits = _rows(counts)
    own = np.ones(time.size, dtype=bool) if overall else labels == str(claim.group)
    unit = results.study.time_unit
    who = "all patients" if overall else f"the {_label(results, str(claim.group))} group"
    single = attainable_survival(time[own], at, weights=exits[own])
    low, high = band_of(claim.value / 100, check.decimals + 2)
    if single.lower is None or single.upper is None:
        return replace(check, verdict="impossible",
                       reason=f"no patient of {who} was followed {at:g} {unit} and no pattern "
                              "takes the curve to 0 there: the survival is not estimable")
    span = (single.lower, single.upper)
    if single.upper < low or single.lower >= high:
        if single.lower == single.upper == 1.0:
            reason = (f"all {single.n} patients of {who} were followed beyond {at:g} {unit}: "
                      "every pattern of deaths and censorings gives 100%")
        else:
            reason = (f"over every pattern of deaths and censorings among the {single.n} "
                      f"follow-up times of {who}, survival at {at:g} {unit} lies between "
                      f"{100 * single.lower:.{check.decimals}f}% and "
                      f"{100 * single.upper:.{check.decimals}f}%")
        return replace(check, verdict="impossible", reason=reason,
                       attainable=(100 * span[0], 100 * span[1]))
    levels = ep.main.levels if ep.main is not None else ()
    rates = _constraints(results, checks, check, levels)
    joint = None
    if ep.main is not None and len(ep.main.km.groups) == 2:
        t2, l2, w2 = _rows(ep.main.km.counts)
        joint = pattern_range(t2, l2, ep.main.km.groups, rates, at=at,
                              of=None if overall else str(claim.group),
                              printed=(claim.value, check.decimals), weights=w2)
    if joint is not None and joint.minimum is not None and joint.maximum is not None:
        if not joint.gives():
            reason = (f"the {joint.n_patterns:,} death/censoring patterns of the follow-up "
                      f"times that reproduce the printed {_rate_text(results, rates)} give "
                      f"{who} {_values_text(joint.values, check.decimals)} at {at:g} {unit}, "
                      f"never {_printed(check)}") if rates else (
                      f"no death/censoring pattern of the follow-up times gives "
                      f"{_printed(check)}: they give {_values_text(joint.values, check.decimals)}")
            return replace(check, verdict="outside-range", reason=reason,
                           attainable=(100 * joint.minimum, 100 * joint.maximum))
        span = (joint.minimum, joint.maximum)
    elif single.exact and not single.gives(low, high):
        return replace(check, verdict="outside-range", attainable=(100 * span[0], 100 * span[1]),
                       reason=f"no death/censoring pattern of the follow-up times of {who} "
                              f"gives {_printed(check)}: they give "
                              f"{_values_text(single.values, check.decimals)}")
    judged = _differs(check)
    return replace(judged, attainable=(100 * span[0], 100 * span[1]),
                   reason=judged.reason + "; some patterns of the follow-up times give it")


def _log_rank(results: StudyResults, checks: Sequence[ClaimCheck],
              check: ClaimCheck) -> ClaimCheck:
    ep: EndpointResult | None = results.endpoint(check.claim.endpoint or "")
    if ep is None or ep.main is None or len(ep.main.km.groups) != 2:
        return _differs(check)
    rates = _constraints(results, checks, check, ep.main.levels)
    time, labels, exits = _rows(ep.main.km.counts)
    joint = pattern_range(time, labels, ep.main.km.groups, rates,
                          printed=(check.claim.value, check.decimals), weights=exits)
    if joint is None or joint.minimum is None or joint.maximum is None:
        return _differs(check)
    span = (joint.minimum, joint.maximum)
    among = (f"the {joint.n_patterns:,} death/censoring patterns of the follow-up times that "
             f"reproduce the printed {_rate_text(results, rates)}" if rates else
             f"all {joint.n_patterns:,} death/censoring patterns of the follow-up times")
    if not joint.gives():
        reason = (f"{among} give p between {_fmt(check, span[0], 1)} and "
                  f"{_fmt(check, span[1], 1)}, never {_printed(check)}")
        return replace(check, verdict="outside-range", reason=reason, attainable=span)
    judged = _differs(check)
    return replace(judged, attainable=span,
                   reason=f"{judged.reason}; {among} give p between {_fmt(check, span[0], 1)} "
                          f"and {_fmt(check, span[1], 1)}")

"""Write a :class:`~survstudy.config.StudyConfig` back to study-file text (TOML).

The web app gathers choices in forms and must hand the user a study file that reproduces its
analysis from the command line. This module is the inverse of
:func:`survstudy.config.parse.parse_config`: ``parse_config(dump_study_config(c)).config == c``.
Keys left at their defaults are omitted (except the few a reader should always see: the title,
the time unit and the landmark times), sections come in the documented order, each with a
one-line comment saying what it is for.
"""

from __future__ import annotations

import tomllib
from typing import Any

from survstudy.config.models import StudyConfig

__all__ = ["dump_study_config"]

#: The sections in the order ``docs/study-file.md`` documents them, with a comment for each.
_SECTIONS: tuple[tuple[str, str], ...] = (
    ("study", "The title and the one time unit used in every table and figure."),
    ("data", "The registry: one row per patient; a path is relative to this file."),
    ("follow_up", "Follow-up: the cutoff date and the columns of last contact and death."),
    ("variables", "Variables: labels, types, level order and units."),
    ("cohort", "Cohort: inclusion steps, in order."),
    ("endpoints", "Endpoints: the survival times and how they are derived."),
    ("intervals", "Intervals between two dates."),
    ("analysis", "What to compare: groups, characteristics, landmark times (in years)."),
    ("adjustment", "Adjusted comparison (IPTW): treatment, propensity-score covariates."),
    ("report", "How the report shows the analysis."),
    ("published", "Numbers a paper printed, set beside what the data give."),
)

_MAX_LINE = 100

#: Keys written even when they hold their default, because a reader should see the choice.
_ALWAYS: dict[str, tuple[str, ...]] = {
    "study": ("title", "time_unit"),
    "analysis": ("landmark_years",),
}


def _plain(value: Any) -> Any:
    """Whole floats written as integers where the study file allows either (``[1, 3]``)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _section_value(config: StudyConfig, name: str) -> Any:
    """The section as plain TOML values: None dropped, defaults dropped but for ``_ALWAYS``."""
    full = config.model_dump(mode="python", by_alias=True, exclude_none=True).get(name)
    lean = config.model_dump(
        mode="python", by_alias=True, exclude_none=True, exclude_defaults=True
    ).get(name)
    if isinstance(full, dict) and name in _ALWAYS:
        lean = dict(lean or {})
        for key in _ALWAYS[name]:
            if key in full:
                lean[key] = full[key]
        # keep the documented key order
        lean = {k: lean[k] for k in full if k in lean}
    return lean


def _short_arrays(text: str) -> str:
    """Arrays of scalars that fit on one line written on one line (``levels = ["F", "M"]``).

    tomli_w writes every array one item per line; this joins them back when short. Strings
    never span lines (tomli_w escapes newlines), so an array is the lines from ``key = [`` to
    a lone ``]``.
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.endswith(" = [") and not line.startswith(" "):
            end = i + 1
            while end < len(lines) and lines[end] != "]":
                end += 1
            items = [item.strip() for item in lines[i + 1 : end]]
            nested = any(item.endswith(("[", "{")) for item in items)
            joined = line + ", ".join(item.removesuffix(",") for item in items) + "]"
            if end < len(lines) and not nested and len(joined) <= _MAX_LINE:
                out.append(joined)
                i = end + 1
                continue
        out.append(line)
        i += 1
    return "\n".join(out)


def dump_study_config(config: StudyConfig, header: str | None = None) -> str:
    """Study-file text for ``config``; ``header`` (lines of text) is written as comments."""
    import tomli_w

    parts: list[str] = []
    if header:
        parts.append("".join(f"# {line}".rstrip() + "\n" for line in header.splitlines()))
    for name, comment in _SECTIONS:
        value = _section_value(config, name)
        if value in (None, {}, []):
            continue
        plain = {name: _plain(value)}
        text = tomli_w.dumps(plain)
        short = _short_arrays(text)
        if tomllib.loads(short) == tomllib.loads(text):  # never trade correctness for looks
            text = short
        parts.append(f"# ---- {comment}\n{text}")
    return "\n".join(parts)

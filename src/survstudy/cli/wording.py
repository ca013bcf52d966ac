"""Messages from the Python API in the words of the command line.

The API names its own arguments (``categorical=["grade"]``, ``event="status=CODE"``,
``firth=True``, ``tests=``); a user of the CLI should read the option instead
(``--categorical grade``, ``--event status=CODE``, ``--firth``, ``--test``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from survstudy.errors import InputError

__all__ = ["FLAGS", "cli_error", "cli_wording", "text_with_warnings", "warning_lines"]

#: Python argument → command-line option, where the two names differ.
FLAGS = {"tests": "test", "conf_type": "conf-type", "conf_level": "conf-level"}

#: ``name=["a", "b"]``, ``name="text"``, ``name=True`` or a bare ``name=``.
_ARGUMENT = re.compile(
    r"\b([a-z][a-z_]*)=(?:\[((?:\"[^\"]*\"(?:, )?)*)\]|\"([^\"]*)\"|True\b|(?=[\s,;:)]|$))"
)

_QUOTED = re.compile(r'"([^"]*)"')


def _flag(match: re.Match[str]) -> str:
    name = match.group(1)
    flag = "--" + FLAGS.get(name, name.replace("_", "-"))
    listed, text = match.group(2), match.group(3)
    if listed is not None:
        return f"{flag} {','.join(_QUOTED.findall(listed))}"
    if text is not None:
        return f"{flag} {text}"
    return flag


def cli_wording(message: str) -> str:
    """``message`` with every Python argument written as the command-line option."""
    return _ARGUMENT.sub(_flag, message)


def cli_error(error: InputError) -> InputError:
    """The same problems, worded for the command line."""
    return InputError([replace(p, message=cli_wording(p.message)) for p in error.problems])


def warning_lines(warnings: Iterable[Mapping[str, Any]]) -> list[str]:
    """``severity: message`` for each warning of a JSON payload, in the words of the CLI."""
    return [f"{w['severity']}: {cli_wording(str(w['message']))}" for w in warnings]


def text_with_warnings(lines: list[str], warnings: Iterable[Mapping[str, Any]]) -> str:
    """A command's text: ``lines``, then its warnings (:func:`warning_lines`)."""
    return "\n".join([*lines, *warning_lines(warnings)])

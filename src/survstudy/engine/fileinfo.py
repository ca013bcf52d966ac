"""What a converted data file says about its columns, and where converted files are written.

SPSS, Stata and SAS files carry variable labels, value labels, user-missing codes and date
formats; a REDCap data dictionary says the same of a CSV export. Each reader returns a
:class:`SourceInfo` (folded into the study file by :mod:`survstudy.data.metadata`). Files
converted for reading (SPSS/Stata/SAS, CSV dialects, REDCap exports) are written as Parquet
into one private folder per process (:func:`workspace`), removed at exit.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ColumnInfo", "SourceInfo", "workspace"]

_FOLDER: list[Path] = []


def workspace() -> Path:
    """This process's private folder for converted files (mode 0700, removed at exit)."""
    if not _FOLDER:
        folder = Path(tempfile.mkdtemp(prefix="survstudy-read-"))
        _FOLDER.append(folder)
        atexit.register(shutil.rmtree, folder, True)
    return _FOLDER[0]


@dataclass(frozen=True)
class ColumnInfo:
    """One column as its file describes it (``kind``: "date", "continuous", "categorical",
    "text" or None when the file does not say; ``value_labels``: code text → label)."""

    label: str | None = None
    kind: str | None = None
    value_labels: Mapping[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    date_format: str | None = None
    identifier: bool = False


@dataclass(frozen=True)
class SourceInfo:
    """The columns of one source as its file or data dictionary describes them."""

    name: str
    columns: Mapping[str, ColumnInfo]



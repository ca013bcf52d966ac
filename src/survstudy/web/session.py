"""Where the app keeps uploaded registries: a private temporary folder, gone at exit.

Patient data must not linger. The app owns one :class:`Workspace`, a folder only this user can
open (mode 0700) under a random name, removed when the process exits (``atexit``) and when the
app shuts down. Each browser session gets its own :class:`SessionFolder` inside it, removed
when the session ends. An uploaded file is moved in under a random name
(``data-<random>.csv``): the name the user gave it is kept only as text, to show and to write
into the study file the user downloads; it never becomes a path on disk.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from survstudy.engine.dialect import CsvDialect

__all__ = ["DATA_SUFFIXES", "SessionFolder", "StoredData", "Workspace", "safe_display_name"]

#: File types the app accepts, by suffix (lower case), and what they are.
DATA_SUFFIXES = {".csv": "CSV", ".tsv": "CSV", ".txt": "CSV", ".xlsx": "Excel", ".xlsm": "Excel",
                 ".sav": "SPSS", ".zsav": "SPSS", ".por": "SPSS", ".dta": "Stata",
                 ".sas7bdat": "SAS", ".xpt": "SAS"}

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def safe_display_name(name: str, suffix: str) -> str:
    """The uploaded file's base name, cleaned to be shown and written in a study file.

    Folders, control characters and characters that are not allowed in file names on some
    systems are dropped; a name that is empty afterwards becomes ``registry<suffix>``.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base)
    stem = base[: -len(suffix)] if base.lower().endswith(suffix) else base
    stem = stem.strip(" .")[:120]
    return f"{stem or 'registry'}{suffix}"


def _private_dir(parent: Path | None, prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))  # mkdtemp makes it 0700
    os.chmod(path, 0o700)
    return path


@dataclass(frozen=True)
class StoredData:
    """An uploaded (or example) registry as stored: private path, the name to show, and
    for a CSV file a European spreadsheet wrote, its dialect (None: a plain CSV)."""

    path: Path
    display_name: str
    kind: str
    dialect: CsvDialect | None = None

    @property
    def suffix(self) -> str:
        return self.path.suffix


def _dialect(path: Path) -> CsvDialect | None:
    """The dialect of a stored CSV file (None for a plain one, or another file type)."""
    if DATA_SUFFIXES[path.suffix.lower()] != "CSV":
        return None
    from survstudy.engine.dialect import detect_dialect

    return detect_dialect(path)


class SessionFolder:
    """One browser session's private folder: its registry file and its analysis runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: StoredData | None = None
        self.dictionary: StoredData | None = None

    def _new_name(self, stem: str, suffix: str = "") -> Path:
        return self.path / f"{stem}-{secrets.token_hex(8)}{suffix}"

    def store_upload(self, uploaded: str | Path, original_name: str) -> StoredData:
        """Move an upload in under a random name; the previous registry is deleted.

        Raises ValueError (with a message for the user) for a file type the app cannot read.
        """
        source = Path(uploaded)
        suffix = Path(original_name).suffix.lower()
        if suffix not in DATA_SUFFIXES:
            source.unlink(missing_ok=True)
            raise ValueError(
                f"'{original_name}' is not a CSV or Excel (.xlsx) file; "
                "save the registry as .csv or .xlsx and choose it again"
            )
        target = self._new_name("data", suffix)
        shutil.move(str(source), target)
        os.chmod(target, 0o600)
        return self._replace_data(
            StoredData(
                target,
                safe_display_name(original_name, suffix),
                DATA_SUFFIXES[suffix],
                _dialect(target),
            )
        )

    def store_copy(self, path: str | Path, display_name: str) -> StoredData:
        """Copy a file (a bundled example) in under a random name."""
        suffix = Path(path).suffix.lower()
        target = self._new_name("data", suffix)
        shutil.copyfile(path, target)
        os.chmod(target, 0o600)
        return self._replace_data(
            StoredData(target, display_name, DATA_SUFFIXES[suffix], _dialect(target))
        )

    def store_dictionary(self, uploaded: str | Path, original_name: str) -> StoredData:
        """Move a REDCap data dictionary (CSV) in under a random name, replacing the last."""
        source = Path(uploaded)
        if Path(original_name).suffix.lower() != ".csv":
            source.unlink(missing_ok=True)
            raise ValueError(
                f"'{original_name}' is not a REDCap data dictionary: download it from REDCap "
                "as CSV (Project setup, Data dictionary) and choose it again"
            )
        target = self._new_name("dictionary", ".csv")
        shutil.move(source, target)
        os.chmod(target, 0o600)
        old, self.dictionary = self.dictionary, StoredData(
            target, safe_display_name(original_name, ".csv"), "REDCap dictionary"
        )
        if old is not None:
            old.path.unlink(missing_ok=True)
        return self.dictionary

    def _replace_data(self, stored: StoredData) -> StoredData:
        old, self.data = self.data, stored
        if old is not None:
            old.path.unlink(missing_ok=True)
        return stored

    def new_folder(self, stem: str) -> Path:
        """A new empty private folder for one analysis run or one report."""
        path = self._new_name(stem)
        path.mkdir(mode=0o700)
        return path

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self.data = None


class Workspace:
    """The app's private temporary folder (0700, random name), removed at exit.

    ``adopt_as_tempdir`` makes it the process's temporary folder, so files other libraries
    write (Shiny keeps each upload in a temporary folder while it arrives) are private too and
    removed with it. Only a process that is the app (``survstudy serve``) should do that.
    """

    def __init__(self, parent: str | Path | None = None) -> None:
        self.path = _private_dir(Path(parent) if parent is not None else None, "survstudy-")
        self._previous_tempdir: str | None = None
        self._adopted = False
        atexit.register(self.remove)

    def adopt_as_tempdir(self) -> None:
        self._previous_tempdir = tempfile.tempdir
        tempfile.tempdir = str(self.path)
        self._adopted = True

    def new_session(self) -> SessionFolder:
        return SessionFolder(_private_dir(self.path, "session-"))

    def remove(self) -> None:
        """Delete everything (idempotent)."""
        if self._adopted:
            tempfile.tempdir = self._previous_tempdir
            self._adopted = False
        shutil.rmtree(self.path, ignore_errors=True)

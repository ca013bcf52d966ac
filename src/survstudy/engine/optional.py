"""Optional packages (PySpark, sqlglot, psycopg): present, or one line saying what to install.

The Spark engine and the PostgreSQL reader are extras. Asking for one that is not installed is
a problem of the user's setup, not a fault: it gets one line naming the package and the
``pip install`` that brings it, and the CLI exits with status 2 like any other input problem.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util

from survstudy.errors import InputError, Problem

__all__ = ["EXTRAS", "installed", "package_version", "require"]

#: For each optional module: the distribution that provides it and the extra that installs it.
EXTRAS: dict[str, tuple[str, str]] = {
    "pyspark": ("pyspark", "spark"),
    "sqlglot": ("sqlglot", "spark"),
    "psycopg": ("psycopg", "postgres"),
}


def installed(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(*modules: str, purpose: str) -> None:
    """Raise :class:`InputError` naming every module of ``modules`` that is not installed."""
    missing = [m for m in modules if not installed(m)]
    if not missing:
        return
    extras = sorted({EXTRAS[m][1] for m in missing if m in EXTRAS})
    names = " and ".join(EXTRAS.get(m, (m, ""))[0] for m in missing)
    install = " ".join(f"'survstudy[{e}]'" for e in extras) or " ".join(missing)
    raise InputError(
        Problem(f"{purpose} needs {names}, which is not installed: pip install {install}")
    )


def package_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, or None."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None

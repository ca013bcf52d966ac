"""Read one table or query from PostgreSQL, read-only, without ever showing a password.

The password comes from the URL, ``PGPASSWORD`` or ``~/.pgpass`` (libpq reads the last two
itself); :func:`redact_url` removes it from every text that leaves this module: the table's
name in messages, error messages, and (through the report) ``manifest.json``.

Read-only is layered: the session starts with ``default_transaction_read_only`` on, the
transaction is ``READ ONLY``, and a query is run as a subquery (``SELECT * FROM (...)``), so a
second statement (``COMMIT; DROP ...``), a ``SET`` or a data-modifying ``WITH`` is a syntax
error before anything runs. A database role with only ``SELECT`` rights remains the stronger
guarantee, and the documentation says so.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["CONNECT_TIMEOUT", "query_rows", "redact_url", "scrub"]

#: Seconds to wait for the server before saying it cannot be reached (unless the URL says).
CONNECT_TIMEOUT = 10


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def redact_url(url: str) -> str:
    """``postgresql://user:secret@host/db`` → ``postgresql://user@host/db`` (other text
    unchanged)."""
    if not url.startswith(("postgresql://", "postgres://")):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"//[^@/]*@", "//***@", url)
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        user = user.split(":", 1)[0]
        netloc = f"{user}@{host}" if user else host
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def scrub(text: str, url: str) -> str:
    """``text`` with the URL's password (and the URL itself) replaced: for error messages."""
    text = text.replace(url, redact_url(url))
    secret = _password(url)
    return text.replace(secret, "***") if secret else text


def _wrapped(query: str) -> str:
    """The user's query as a subquery: one statement, no writes, no ``SET``."""
    body = query.strip()
    while body.endswith(";"):
        body = body[:-1].rstrip()
    return f"SELECT * FROM (\n{body}\n) AS survstudy_query"


def query_rows(
    url: str, table: str | None, query: str | None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``SELECT * FROM table`` (or the query) read-only: columns and rows. With neither,
    the schema's only table is read. Raises ``psycopg.Error`` (scrub its text with
    :func:`scrub`), or ``LookupError(tables)`` when the table is not given or not there.
    """
    import psycopg  # type: ignore[import-not-found]

    extra: dict[str, Any] = {"options": "-c default_transaction_read_only=on"}
    if "connect_timeout" not in url:
        extra["connect_timeout"] = CONNECT_TIMEOUT
    with psycopg.connect(url, **extra) as con:
        con.read_only = True
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() ORDER BY table_name"
            ).fetchall()
        ]
        if query is not None:
            sql = _wrapped(query)
        else:
            name = table if table is not None else (tables[0] if len(tables) == 1 else None)
            if name is None or name not in tables:
                raise LookupError(tables)
            sql = 'SELECT * FROM "' + name.replace('"', '""') + '"'
        cur = con.execute(sql)
        columns = [d.name for d in cur.description or []]
        return columns, cur.fetchall()

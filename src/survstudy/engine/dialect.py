"""CSV files as European spreadsheets write them: another delimiter, a decimal comma, latin-1.

``[data] delimiter``, ``decimal`` and ``encoding`` (``--delimiter/--decimal/--encoding`` on the
quick commands) say how a CSV file is written. UTF-8, with or without a byte-order mark, is the
default; DuckDB reads UTF-8, UTF-16 and latin-1 itself, any other encoding Python knows
(cp1252, mac-roman, ...) is first re-encoded into the private workspace. A file that does not
decode is reported with the encoding tried, the line, and the key to set.

For a study, a CSV with a dialect is read once into Parquet (every column as written); with
``decimal = ","`` the columns whose values are all numbers with a decimal comma (and every
column the study declares continuous) have their commas turned into points, so the rest of the
pipeline reads them as it reads any CSV.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from collections.abc import Collection, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from survstudy.engine.fileinfo import workspace
from survstudy.errors import InputError, Problem

__all__ = [
    "COMMA_NUMBER",
    "CsvDialect",
    "comma_problem",
    "csv_failure",
    "current_dialect",
    "decode_problem",
    "detect_dialect",
    "dialect_csv_parquet",
    "dialect_keys",
    "dialect_text",
    "read_csv_sql",
    "use_dialect",
]

#: A number written with a decimal comma (or a whole number), as a DuckDB regular expression.
COMMA_NUMBER = r"[-+]?([0-9]+(,[0-9]*)?|,[0-9]+)"

#: Encodings DuckDB's CSV reader decodes itself (Python's codec name → DuckDB's).
_NATIVE = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "iso8859-1": "latin-1", "utf-16": "utf-16"}


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written: delimiter (None: detected), decimal mark, encoding."""

    delimiter: str | None = None
    decimal: str = "."
    encoding: str = "utf-8"

    @property
    def codec(self) -> str:
        """Python's name for the encoding (ValueError when unknown)."""
        try:
            return codecs.lookup(self.encoding).name
        except LookupError:
            raise ValueError(
                f"unknown encoding {self.encoding!r}; use e.g. utf-8, latin-1 or cp1252"
            ) from None

    @property
    def plain(self) -> bool:
        """Read as the default CSV reader reads: detected delimiter, point, UTF-8."""
        return self.delimiter is None and self.decimal == "." and self.codec in ("utf-8",)


_DIALECT: ContextVar[CsvDialect | None] = ContextVar("survstudy_csv_dialect", default=None)


@contextlib.contextmanager
def use_dialect(dialect: CsvDialect | None) -> Iterator[None]:
    """Read CSV files given by path (``km``, ``table1``, ``cox``) with ``dialect`` inside."""
    token = _DIALECT.set(dialect)
    try:
        yield
    finally:
        _DIALECT.reset(token)


def current_dialect() -> CsvDialect | None:
    return _DIALECT.get()


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def decode_problem(path: Path, name: str, encoding: str, key: str) -> Problem | None:
    """The first line of ``path`` that ``encoding`` cannot decode, as a problem saying which
    key to set (None when the whole file decodes)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError as e:
                byte = line[e.start : e.start + 1].hex()
                setting = f"{key} latin-1" if key.startswith("--") else f'{key} = "latin-1"'
                return Problem(
                    f"cannot decode line {number} as {encoding} (byte 0x{byte}); say how the "
                    f'file is written with {setting} (or cp1252, ...)',
                    file=name,
                    row=number,
                )
    return None


def csv_failure(path: Path, name: str, error: Exception, key: str) -> Problem:
    """The problem to show when DuckDB cannot read a UTF-8 CSV: the undecodable line and the
    key to set when the file is not UTF-8, else DuckDB's first line."""
    first = str(error).strip().splitlines()[0]
    if "unicode" in str(error).lower():
        problem = decode_problem(path, name, "utf-8", key)
        if problem is not None:
            return problem
    return Problem(f"cannot read the CSV file: {first}", file=name)


def _transcoded(path: Path, name: str, dialect: CsvDialect, key: str) -> Path:
    """``path`` re-encoded as UTF-8 in the workspace (streamed, line by line)."""
    codec = dialect.codec
    target = workspace() / f"utf8-{abs(hash((str(path), codec)))}.csv"
    decoder = codecs.getincrementaldecoder(codec)()
    with path.open("rb") as f, target.open("w", encoding="utf-8", newline="") as out:
        for number, line in enumerate(f, start=1):
            try:
                out.write(decoder.decode(line))
            except UnicodeDecodeError as e:
                byte = line[e.start : e.start + 1].hex()
                raise InputError(
                    Problem(
                        f"cannot decode line {number} as {dialect.encoding} (byte 0x{byte}); "
                        f"set {key} to the file's encoding",
                        file=name,
                        row=number,
                    )
                ) from None
        out.write(decoder.decode(b"", final=True))
    return target


def read_csv_sql(
    path: Path, name: str, dialect: CsvDialect, key: str = "[data] encoding", **options: str
) -> str:
    """A DuckDB ``read_csv(...)`` for ``path`` written in ``dialect`` (``options``: more
    ``name=value`` SQL arguments, e.g. ``all_varchar="true"``)."""
    from survstudy.engine.sources import NULL_STRINGS

    try:
        codec = dialect.codec
    except ValueError as e:
        raise InputError(Problem(f"{e} ({key})", file=name)) from None
    if codec in _NATIVE:
        source, encoding = path, _NATIVE[codec]
    else:
        source, encoding = _transcoded(path, name, dialect, key), "utf-8"
    nulls = ", ".join(_lit(s) for s in NULL_STRINGS)
    args = [_lit(str(source)), "header=true", f"nullstr=[{nulls}]", f"encoding={_lit(encoding)}"]
    if dialect.delimiter is not None:
        args.append(f"delim={_lit(dialect.delimiter)}")
    if dialect.decimal != "." and "all_varchar" not in options:
        args.append(f"decimal_separator={_lit(dialect.decimal)}")
    args += [f"{k}={v}" for k, v in options.items()]
    return f"read_csv({', '.join(args)})"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def dialect_csv_parquet(
    path: Path,
    name: str,
    dialect: CsvDialect,
    *,
    continuous: Collection[str] = (),
    comma_columns: Collection[str] = (),
    drop: Collection[str] = (),
    where: str | None = None,
) -> Path:
    """Read a CSV written in ``dialect`` into a Parquet file of text columns (as written),
    decimal commas turned into points where the values are numbers (see the module note).

    ``comma_columns`` always have their decimal commas read (a REDCap dictionary says so);
    ``drop`` columns are left out (identifiers a REDCap dictionary marks); ``where`` (SQL)
    keeps some rows only (one REDCap event).
    """
    import duckdb

    from survstudy.engine.duckdb import connect

    con = connect()
    scan = read_csv_sql(path, name, dialect, all_varchar="true")
    try:
        columns = [str(r[0]) for r in con.sql(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
        keep = [c for c in columns if c not in drop]
        fix = set(comma_columns)
        if dialect.decimal == ",":
            checks = ", ".join(
                f"count({_q(c)}) = count(CASE WHEN regexp_full_match(trim({_q(c)}), "
                f"{_lit(COMMA_NUMBER)}) THEN 1 END) AND count(*) FILTER "
                f"(contains({_q(c)}, ',')) > 0"
                for c in keep
            )
            if keep:
                row = con.sql(f"SELECT {checks} FROM {scan}").fetchall()[0]
                fix |= {c for c, numeric in zip(keep, row, strict=True) if numeric}
            fix |= {c for c in keep if c in continuous}
        select = ", ".join(
            f"CASE WHEN regexp_full_match(trim({_q(c)}), {_lit(COMMA_NUMBER)}) "
            f"THEN replace(trim({_q(c)}), ',', '.') ELSE {_q(c)} END AS {_q(c)}"
            if c in fix
            else _q(c)
            for c in keep
        )
        tag = abs(hash((str(path), dialect, tuple(sorted(fix)), tuple(sorted(drop)), where)))
        target = workspace() / f"csv-{tag}.parquet"
        rows = f"SELECT {select} FROM {scan}" + (f" WHERE {where}" if where else "")
        con.sql(f"COPY ({rows}) TO {_lit(str(target))} (FORMAT parquet)")
    except duckdb.Error as e:
        if "unicode" in str(e).lower():
            problem = decode_problem(path, name, dialect.codec, "[data] encoding")
            if problem is not None:
                raise InputError(problem) from None
        first = str(e).strip().splitlines()[0]
        raise InputError(Problem(f"cannot read the CSV file: {first}", file=name)) from None
    finally:
        con.close()
    return target


def comma_problem(column: str, file: str, example: str, *, error: bool) -> Problem:
    """A column whose values are numbers written with a decimal comma, read with a point."""
    what = "is declared continuous but its values" if error else "is read as text: its values"
    return Problem(
        f"column '{column}' {what} are numbers with a decimal comma (e.g. '{example}'); "
        'set decimal = "," in [data] (or --decimal , on the quick commands)',
        file=file,
        column=column,
        value=example,
        severity="error" if error else "warning",
    )


#: A field written with a decimal comma: -12,5 (a thousands-free European number).
_COMMA_FIELD = re.compile(rb"^\s*\"?-?[0-9]+,[0-9]+\"?\s*$")
#: Bytes where cp1252 (Windows) and latin-1 differ: cp1252 prints them (the euro sign...).
_CP1252_ONLY = re.compile(rb"[\x80-\x9f]")


def _encoding(path: Path) -> str:
    """The file's encoding: "utf-8" when it all decodes as UTF-8 (a byte-order mark or not),
    else "cp1252" when it holds bytes only Windows' code page prints and they decode, else
    "latin-1" (which decodes every byte, and agrees with cp1252 on all others)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    windows = False
    with path.open("rb") as f:
        try:
            while chunk := f.read(1 << 20):
                windows = windows or _CP1252_ONLY.search(chunk) is not None
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        if not windows:
            windows = _CP1252_ONLY.search(f.read()) is not None
        if windows:
            f.seek(0)
            try:
                f.read().decode("cp1252")
            except UnicodeDecodeError:
                return "latin-1"
            return "cp1252"
    return "latin-1"


def detect_dialect(path: Path, rows: int = 200) -> CsvDialect | None:
    """How a CSV upload is written, when the plain reader cannot read it: None for a UTF-8
    file with decimal points, else the delimiter (the most frequent of ``;``, ``,`` and tab
    in the header line), the decimal mark ("," when the delimiter is not a comma and a field
    of the first ``rows`` data rows reads -?digits,digits) and the encoding."""
    with path.open("rb") as f:
        head = [f.readline() for _ in range(rows + 1)]
    header = head[0]
    counts = {d: header.count(d.encode()) for d in (";", ",", "\t")}
    delimiter = max(counts, key=lambda d: counts[d])  # ties: the order above
    decimal = "."
    if delimiter != ",":
        sep = delimiter.encode()
        fields = (x for line in head[1:] for x in line.rstrip(b"\r\n").split(sep))
        decimal = "," if any(_COMMA_FIELD.match(x) for x in fields) else "."
    encoding = _encoding(path)
    if decimal == "." and encoding == "utf-8":
        return None  # the plain reader sniffs the delimiter itself
    return CsvDialect(delimiter=delimiter, decimal=decimal, encoding=encoding)


def dialect_keys(dialect: CsvDialect | None) -> dict[str, str]:
    """The ``[data]`` keys saying how the file is written (none for a plain CSV)."""
    if dialect is None:
        return {}
    keys = {"delimiter": dialect.delimiter or ","}
    if dialect.decimal != ".":
        keys["decimal"] = dialect.decimal
    if dialect.codec != "utf-8":
        keys["encoding"] = dialect.encoding
    return keys


def dialect_text(dialect: CsvDialect) -> str:
    """The dialect in words, for the data summary: "separator ;, decimal comma, latin-1"."""
    shown = {"\t": "tab"}.get(dialect.delimiter or ",", dialect.delimiter)
    mark = "comma" if dialect.decimal == "," else "point"
    return f"separator {shown}, decimal {mark}, {dialect.encoding}"

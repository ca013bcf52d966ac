"""``--delimiter``, ``--decimal``, ``--encoding`` (and ``--dictionary``) for commands that read
a data file directly (``km``, ``table1``, ``cox``): one decorator adds the options and reads
the command's files in that CSV dialect (:func:`survstudy.engine.dialect.use_dialect`)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar, get_type_hints

import typer

__all__ = ["reads_csv_dialect"]

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS: dict[str, Any] = {
    "delimiter": Annotated[
        str | None,
        typer.Option(help="CSV delimiter, e.g. ';' (default: detected).", show_default=False),
    ],
    "decimal": Annotated[
        str | None, typer.Option(help="Decimal mark of the CSV file: . (default) or ,.")
    ],
    "encoding": Annotated[
        str | None, typer.Option(help="Encoding of the CSV file (default UTF-8), e.g. latin-1.")
    ],
}


def reads_csv_dialect(command: F) -> F:
    """Add the CSV dialect options to ``command`` and read its data file with them."""
    from survstudy.engine.dialect import CsvDialect, use_dialect

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {k: kwargs.pop(k, None) for k in _OPTIONS}
        if given["decimal"] not in (None, ".", ","):
            raise ValueError(f"--decimal must be . or , not {given['decimal']!r}")
        dialect = CsvDialect(
            delimiter=given["delimiter"],
            decimal=given["decimal"] or ".",
            encoding=given["encoding"] or "utf-8",
        )
        with use_dialect(dialect):
            return command(*args, **kwargs)

    hints = get_type_hints(command, include_extras=True)
    signature = inspect.signature(command)
    signature = signature.replace(
        parameters=[
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in signature.parameters.values()
        ],
        return_annotation=hints.get("return", signature.return_annotation),
    )
    extra = [
        inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=t)
        for k, t in _OPTIONS.items()
    ]
    params = list(signature.parameters.values())
    wrapper.__signature__ = signature.replace(parameters=[*params, *extra])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {**hints, **_OPTIONS}
    return wrapper  # type: ignore[return-value]

"""Write a study's report folder: HTML, Word, figures, tables, results.json, manifest.json.

The folder is built in a temporary place and renamed when complete (``bundle.py``), so a run
that fails leaves nothing half-written. ``manifest.json`` records what went in (file hashes,
software versions, settings) so the report can be reproduced and audited.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from survstudy.data.postgres import redact_url
from survstudy.engine.optional import package_version
from survstudy.jsonsafe import dumps
from survstudy.report.build import build_document
from survstudy.report.bundle import file_sha256, write_atomically
from survstudy.report.document import Document

if TYPE_CHECKING:
    from survstudy.study.analysis import StudyResults

__all__ = ["ReportFiles", "write_report"]

ReportFiles = dict[str, Path]

_PACKAGES = ("numpy", "scipy", "pandas", "duckdb", "matplotlib", "python-docx", "jinja2",
             "openpyxl", "pydantic")


def _dump(payload: Any, path: Path) -> None:
    path.write_text(dumps(payload) + "\n", encoding="utf-8")


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("survstudy", *_PACKAGES):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _engine(results: StudyResults) -> dict[str, Any]:
    """The engine that ran the study and the versions of what it used."""
    engine = results.study.engine
    used = ("duckdb",) if engine.kind == "duckdb" else ("pyspark", "sqlglot")
    out: dict[str, Any] = {"kind": engine.kind}
    out |= {name: package_version(name) or "not installed" for name in used}
    if engine.kind == "spark":
        out["spark"] = str(getattr(getattr(engine, "spark", None), "version", "unknown"))
    return out


def _inputs(results: StudyResults) -> dict[str, str]:
    cfg = results.study.config
    base = results.study.file.path.parent
    files = {}
    for source in [cfg.data.source, *[j.source for j in cfg.data.join]]:
        path = Path(source) if Path(source).is_absolute() else base / source
        if path.is_file():
            files[str(source)] = file_sha256(path)
        else:
            files[redact_url(str(source))] = "not a local file (database URL)"
    return files


def _settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The study's settings with any database password removed from its sources."""
    data = settings.get("data")
    if isinstance(data, dict):
        for item in [data, *data.get("join", [])]:
            if isinstance(item, dict) and isinstance(item.get("source"), str):
                item["source"] = redact_url(item["source"])
    return settings


def _manifest(results: StudyResults, doc: Document, outputs: list[str]) -> dict[str, Any]:
    study = results.study
    return {
        "created": doc.meta.get("generated"),
        "study_file": {"path": str(study.file.path), "sha256": file_sha256(study.file.path)},
        "inputs": _inputs(results),
        "software": _versions(),
        "engine": _engine(results),
        "platform": f"{platform.system()} {platform.machine()}",
        "command": " ".join(
            Path(a).name if i == 0 else redact_url(a) for i, a in enumerate(sys.argv)
        ),
        "settings": _settings(study.config.model_dump(mode="json", by_alias=True)),
        "flow": study.flow.to_dict(),
        "rows_excluded": [s.to_dict() for s in study.flow.steps if s.n_excluded],
        "problems": [p.to_dict() for p in study.problems],
        "outputs": sorted(outputs),
    }


def _write_tables(doc: Document, folder: Path) -> list[str]:
    from survstudy.report.spreadsheet import write_csv, write_xlsx

    tables = folder / "tables"
    tables.mkdir()
    written = []
    sheets = {}
    for table in doc.tables():
        grid = table.text_grid() + [[note] for note in table.footnotes]
        write_csv(grid, tables / f"{table.id}.csv")
        write_xlsx({table.id: grid}, tables / f"{table.id}.xlsx")
        sheets[table.id] = grid
        written += [f"tables/{table.id}.csv", f"tables/{table.id}.xlsx"]
    write_xlsx(sheets, tables / "all-tables.xlsx")
    return [*written, "tables/all-tables.xlsx"]


def _write_figures(doc: Document, folder: Path) -> list[str]:
    figures = folder / "figures"
    figures.mkdir()
    written = []
    for fig in doc.figures():
        (figures / f"{fig.id}.png").write_bytes(fig.png)
        (figures / f"{fig.id}.svg").write_bytes(fig.svg)
        written += [f"figures/{fig.id}.png", f"figures/{fig.id}.svg"]
    return written


def write_report(results: StudyResults, out: str | Path) -> ReportFiles:
    """Write the report of ``results`` into the folder ``out`` (replaced only when complete)."""
    from survstudy.report.docx import write_docx
    from survstudy.report.html import render_html

    doc = build_document(results)

    def build(folder: Path) -> None:
        study = results.study
        outputs = ["report.html", "report.docx", "results.json", study.log_name]
        (folder / "report.html").write_text(render_html(doc), encoding="utf-8")
        write_docx(doc, folder / "report.docx", paper=results.study.config.report.paper)
        outputs += _write_figures(doc, folder)
        outputs += _write_tables(doc, folder)
        _dump(results.to_dict(), folder / "results.json")
        # identifiers stay out unless asked for
        study.write_log(folder / study.log_name, ids=study.config.report.show_ids)
        _dump(_manifest(results, doc, [*outputs, "manifest.json"]), folder / "manifest.json")

    target = write_atomically(Path(out), build)
    return {name: target / name for name in ("report.html", "report.docx", "results.json",
                                             "manifest.json")} | {
        "folder": target, "log": target / results.study.log_name}



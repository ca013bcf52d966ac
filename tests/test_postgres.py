"""PostgreSQL against a real server: the bundled registries loaded into it give the CSV's results.

The server is the throwaway cluster `.ci/run` starts (``SURVSTUDY_TEST_POSTGRES`` holds its URL,
with the password of its owner). Without the variable the tests skip (a developer's machine);
where ``SURVSTUDY_REQUIRE_POSTGRES`` is set (CI) a missing or unreachable server fails them.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pytest
from typer.testing import CliRunner

from survstudy.cli import _register, app
from survstudy.cli.demo import example_study
from survstudy.data.postgres import redact_url, scrub

_register()
runner = CliRunner()
TABLES = {"liver_resection": example_study("liver_resection"),
          "rotterdam": example_study("rotterdam")}


def _sql_type(name: str, values: pd.Series) -> str:
    if name.endswith("_date"):
        return "date"
    if pd.api.types.is_integer_dtype(values):
        return "bigint"
    if pd.api.types.is_float_dtype(values):
        return "double precision"
    return "text"


@pytest.fixture(scope="session")
def server() -> dict[str, str]:
    """The server's URL without its password, the password, and the owner's URL; the bundled
    registries loaded as typed tables (dates as ``date``, counts as ``bigint``)."""
    url = os.environ.get("SURVSTUDY_TEST_POSTGRES")
    required = bool(os.environ.get("SURVSTUDY_REQUIRE_POSTGRES"))
    if not url:
        if required:
            pytest.fail("SURVSTUDY_TEST_POSTGRES is not set; .ci/run starts the server")
        pytest.skip("no PostgreSQL server (SURVSTUDY_TEST_POSTGRES unset)")
    psycopg = pytest.importorskip("psycopg")
    try:
        con = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as e:
        if required:
            pytest.fail(f"PostgreSQL not reachable: {scrub(str(e), url)}")
        pytest.skip("PostgreSQL not reachable")
    with con:
        for table, study in TABLES.items():
            frame = pd.read_csv(study.parent / "registry.csv", dtype=None, keep_default_na=False,
                                na_values=[""])
            cols = ", ".join(f'"{c}" {_sql_type(c, frame[c])}' for c in frame.columns)
            con.execute(f'DROP TABLE IF EXISTS "{table}"')
            con.execute(f'CREATE TABLE "{table}" ({cols})')
            rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False)
            with con.cursor().copy(f'COPY "{table}" FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        con.execute("CREATE SEQUENCE IF NOT EXISTS survstudy_seq")
    parts = urlsplit(url)
    password = parts.password or ""
    return {"url": redact_url(url), "password": password, "owner": url,
           "port": str(parts.port or 5432)}


@pytest.fixture
def env(server: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The password in the environment (PGPASSWORD), as a user would give it."""
    monkeypatch.setenv("PGPASSWORD", server["password"])
    return server


def _study(tmp_path: Path, name: str, source: str, extra: str) -> Path:
    text = TABLES[name].read_text(encoding="utf-8")
    line = 'source = "registry.csv"'
    assert line in text
    text = text.replace(line, f'source = "{source}"\n{extra}', 1)
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _report(study: Path, out: Path) -> dict[str, Any]:
    result = runner.invoke(app, ["report", str(study), "--out", str(out)])
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads((out / "results.json").read_text())
    return payload


def _without_sources(payload: Any) -> Any:
    """results.json minus the generation time and where the data came from."""
    if isinstance(payload, dict):
        return {k: _without_sources(v) for k, v in payload.items()
                if k not in ("generated", "created", "source", "study_file", "data")}
    if isinstance(payload, list):
        return [_without_sources(v) for v in payload]
    return payload


@pytest.fixture(scope="session")
def csv_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("csv")
    return {name: _report(study, out / name) for name, study in TABLES.items()}


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("liver_resection", 'table = "liver_resection"'),
        ("liver_resection", 'query = "SELECT * FROM liver_resection WHERE died IN (0, 1);"'),
        ("rotterdam", 'query = "SELECT * FROM rotterdam WHERE pid > 0 ORDER BY pid"'),
    ],
)
def test_report_from_postgres_equals_csv(
    env: dict[str, str], csv_results: dict[str, dict[str, Any]], tmp_path: Path,
    name: str, extra: str,
) -> None:
    study = _study(tmp_path, name, env["url"], extra)
    check = runner.invoke(app, ["check", str(study)])
    assert check.exit_code == 0, check.output
    got = _report(study, tmp_path / "out")
    assert _without_sources(got) == _without_sources(csv_results[name])


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM liver_resection RETURNING *",
        "COMMIT; DROP TABLE liver_resection",
        "SELECT 1; DROP TABLE liver_resection",
        "WITH gone AS (DELETE FROM liver_resection RETURNING *) SELECT * FROM gone",
        "SET default_transaction_read_only = off",
        "SELECT nextval('survstudy_seq') AS patient_id",
        "SELECT * FROM liver_resection) AS x; DROP TABLE liver_resection; --",
    ],
)
def test_writes_are_refused(env: dict[str, str], tmp_path: Path, query: str) -> None:
    import psycopg

    study = _study(tmp_path, "liver_resection", env["url"], f"query = {json.dumps(query)}")
    result = runner.invoke(app, ["check", str(study)])
    assert result.exit_code == 2, result.output
    assert "PostgreSQL" in result.output
    with psycopg.connect(env["owner"]) as con:
        assert con.execute("SELECT count(*) FROM liver_resection").fetchone() == (13,)
        assert con.execute(
            "SELECT last_value, is_called FROM survstudy_seq").fetchone() == (1, False)


def test_password_never_shown(server: dict[str, str], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    password = server["password"]
    assert password
    # a URL with the password: nowhere in the report folder, the output, or the manifest
    study = _study(tmp_path, "liver_resection", server["owner"], 'table = "liver_resection"')
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", str(study), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert password not in result.output
    for file in out.rglob("*"):
        if file.is_file():
            assert password.encode() not in file.read_bytes(), file
    manifest = json.loads((out / "manifest.json").read_text())
    assert server["url"] in manifest["inputs"]
    # an error with the password in the URL: a wrong table, a query the server refuses
    for extra in ('table = "no_such_table"', 'query = "SELECT * FROM nowhere"'):
        bad = _study(tmp_path, "liver_resection", server["owner"], extra)
        result = runner.invoke(app, ["check", str(bad)])
        assert result.exit_code == 2
        assert password not in result.output
    # a wrong password is refused without echoing either password
    wrong = server["owner"].replace(f":{password}@", ":not-the-password@")
    result = runner.invoke(app, ["check", str(_study(tmp_path, "liver_resection", wrong,
                                                    'table = "liver_resection"'))])
    assert result.exit_code == 2
    assert "not-the-password" not in result.output
    assert password not in result.output
    assert "password authentication failed" in result.output


def test_password_from_pgpass(server: dict[str, str], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{server['port']}:*:survstudy:{server['password']}\n")
    pgpass.chmod(0o600)
    study = _study(tmp_path, "liver_resection", server["url"], 'table = "liver_resection"')
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "elsewhere"))
    assert runner.invoke(app, ["check", str(study)]).exit_code == 2  # no password anywhere
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    result = runner.invoke(app, ["check", str(study)])
    assert result.exit_code == 0, result.output


def test_unreachable_server_is_one_line(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://someone:hunter2secret@127.0.0.1:{port}/registry"
    study = _study(tmp_path, "liver_resection", url, 'table = "liver_resection"')
    result = runner.invoke(app, ["check", str(study)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "PostgreSQL" in lines[0]
    assert "hunter2secret" not in lines[0]
    assert "Traceback" not in result.output


def test_redact_url() -> None:
    assert redact_url("postgresql://u:p%40ss@h:5/db") == "postgresql://u@h:5/db"
    assert redact_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert redact_url("postgresql://h/db?password=x&sslmode=require") == (
        "postgresql://h/db?password=***&sslmode=require")
    assert redact_url("registry.csv") == "registry.csv"
    assert scrub("failed for postgresql://u:s3cret@h/db: s3cret", "postgresql://u:s3cret@h/db") \
        == "failed for postgresql://u@h/db: ***"

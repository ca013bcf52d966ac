"""`survstudy serve` options, with the server itself replaced by a stub."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from survstudy.cli import _register, app

_register()
import survstudy.cli.serve  # noqa: E402, F401  (registers the command until cli/__init__ does)

runner = CliRunner()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    import survstudy.web.launch as launch

    seen: list[dict[str, Any]] = []

    def fake(host: str, port: int | None, **kwargs: Any) -> None:
        seen.append({"host": host, "port": port, **kwargs})
        kwargs["on_ready"]("http://127.0.0.1:8765/")

    monkeypatch.setattr(launch, "serve", fake)
    return seen


def test_defaults_are_this_computer_and_a_browser(calls: list[dict[str, Any]]) -> None:
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    (call,) = calls
    assert (call["host"], call["port"], call["open_browser"]) == ("127.0.0.1", None, True)
    assert call["max_upload_bytes"] == 200 * 1024 * 1024
    assert "survstudy is running at http://127.0.0.1:8765/" in result.output
    assert "warning" not in result.output


def test_options(calls: list[dict[str, Any]]) -> None:
    result = runner.invoke(app, ["serve", "--port", "9000", "--no-browser", "--max-upload-mb", "5"])
    assert result.exit_code == 0, result.output
    (call,) = calls
    assert (call["port"], call["open_browser"], call["max_upload_bytes"]) == (
        9000,
        False,
        5 * 1024 * 1024,
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.org"])
def test_another_host_prints_a_warning(calls: list[dict[str, Any]], host: str) -> None:
    result = runner.invoke(app, ["serve", "--host", host, "--no-browser"])
    assert result.exit_code == 0, result.output
    assert f"warning: listening on {host}" in result.output
    assert calls[0]["host"] == host


def test_a_busy_port_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    import survstudy.web.launch as launch

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    monkeypatch.setattr(launch, "_make_server", lambda *a: pytest.fail("must not start"))
    try:
        result = runner.invoke(app, ["serve", "--port", str(port), "--no-browser"])
    finally:
        taken.close()
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output

"""Helpers for the web-app tests: run ``survstudy serve`` in a subprocess, talk Shiny's
websocket protocol, list the files the app keeps. (No tests here.)"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Starts the CLI with the serve command registered (until ``cli/__init__`` imports it).
_LAUNCH = (
    "import sys; from survstudy.cli import _register, app; _register(); "
    "import survstudy.cli.serve; sys.argv = ['survstudy', *sys.argv[1:]]; app()"
)


@dataclass
class RunningApp:
    url: str
    process: subprocess.Popen[str]
    tmp: Path
    output: list[str]

    @property
    def port(self) -> int:
        return int(self.url.rstrip("/").rsplit(":", 1)[1])

    def files(self) -> list[Path]:
        """Every file under the app's temporary folder."""
        return sorted(p for p in self.tmp.rglob("*") if p.is_file())

    def workspaces(self) -> list[Path]:
        return sorted(self.tmp.glob("survstudy-*"))


@contextmanager
def running_app(tmp: Path, *args: str, timeout: float = 60) -> Iterator[RunningApp]:
    """``survstudy serve --no-browser --port 0 ARGS`` with its temporary folder in ``tmp``."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", _LAUNCH, "serve", "--no-browser", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    url = None
    try:
        while url is None:
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                raise RuntimeError("the app did not start:\n" + "".join(output)) from None
            m = re.search(r"running at (http://\S+)", line)
            if m:
                url = m[1]
        yield RunningApp(url, process, tmp, output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def listening_addresses(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket process ``pid`` listens on, from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        m = re.fullmatch(r"socket:\[(\d+)\]", target)
        if m:
            inodes.add(m[1])
    found = []
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            hex_addr, hex_port = local.split(":")
            raw = bytes.fromhex(hex_addr)
            if v6:
                words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
                address = ":".join(b"".join(words)[i : i + 2].hex() for i in range(0, 16, 2))
            else:
                address = ".".join(str(b) for b in raw[::-1])
            found.append((address, int(hex_port, 16)))
    return found


class ShinyClient:
    """Just enough of Shiny's websocket protocol to start a session and upload a file."""

    def __init__(self, url: str, origin: str | None = None) -> None:
        from websockets.sync.client import connect

        self.base = url.rstrip("/") + "/"
        ws_url = self.base.replace("http://", "ws://") + "websocket/"
        self.ws = connect(ws_url, origin=origin or url.rstrip("/")).__enter__()  # type: ignore[arg-type]
        self.session_id = self._wait(lambda m: "config" in m)["config"]["sessionId"]
        self.ws.send(json.dumps({"method": "init", "data": {}}))
        self.tag = 0

    def _wait(self, match: Any, timeout: float = 30) -> dict[str, Any]:
        while True:
            message = json.loads(self.ws.recv(timeout=timeout))
            if match(message):
                return message  # type: ignore[no-any-return]

    def call(self, method: str, *args: Any) -> Any:
        self.tag += 1
        tag = self.tag
        self.ws.send(json.dumps({"method": method, "args": list(args), "tag": tag}))
        reply = self._wait(lambda m: m.get("response", {}).get("tag") == tag)
        return reply["response"].get("value")

    def upload_url(self, name: str, size: int) -> tuple[str, str]:
        """Start an upload: (job id, the URL to POST the file to)."""
        value = self.call("uploadInit", [{"name": name, "size": size, "type": "text/csv"}])
        return value["jobId"], self.base + value["uploadUrl"]

    def close(self) -> None:
        self.ws.close()


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> int:
    """POST ``body`` and return the status code (the server may answer before reading it)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest(
            "POST",
            parts.path + ("?" + parts.query if parts.query else ""),
            skip_accept_encoding=True,
        )
        sent = {"Content-Type": "application/octet-stream", **(headers or {})}
        if "Content-Length" not in sent and "Transfer-Encoding" not in sent:
            sent["Content-Length"] = str(len(body))
        for key, value in sent.items():
            conn.putheader(key, value)
        conn.endheaders()
        with suppress(BrokenPipeError, ConnectionResetError):
            conn.send(body)
        return conn.getresponse().status
    finally:
        conn.close()


def get(url: str, host: str | None = None) -> tuple[int, str]:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("GET", parts.path or "/", skip_host=host is not None)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()

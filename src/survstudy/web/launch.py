"""Start the app: bind a local port, serve with uvicorn, open the browser.

The socket is bound here (not by uvicorn) so the address is exactly the one asked for —
127.0.0.1 unless the user names another host — and a free port can be chosen and printed
before the browser opens. Telemetry hooks in Shiny are switched off; the process's
temporary folder becomes the app's private :class:`~survstudy.web.session.Workspace`, removed
at exit.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from survstudy.web.security import DEFAULT_MAX_UPLOAD_BYTES, LOCAL_HOSTS
from survstudy.web.session import Workspace

__all__ = ["DEFAULT_PORT", "Server", "allowed_hosts", "bind_socket", "is_loopback", "serve"]

#: The port tried first; when it is taken, a free one is used.
DEFAULT_PORT = 8765

_NO_TELEMETRY = {
    "SHINY_OTEL_COLLECT": "none",
    "OTEL_SDK_DISABLED": "true",
    "OTEL_TRACES_EXPORTER": "none",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
}


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.1, ::1, localhost)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str) -> tuple[str, ...]:
    """The ``Host`` header values the app accepts when bound to ``host``."""
    hosts = list(LOCAL_HOSTS)
    bare = host.strip("[]")
    if bare in ("0.0.0.0", "::", ""):  # every address of this machine
        name = socket.gethostname()
        hosts += [name, socket.getfqdn()]
        with contextlib.suppress(OSError):
            hosts += socket.gethostbyname_ex(name)[2]
    elif bare not in hosts:
        hosts += [bare, f"[{bare}]"] if ":" in bare else [bare]
    return tuple(dict.fromkeys(h.lower() for h in hosts if h))


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host.strip("[]") in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown and not shown.startswith("[") else shown
    return f"http://{shown}:{port}/"


@dataclass
class Server:
    """A running app: its address, and how to stop it (for tests and embedding)."""

    url: str
    sock: socket.socket
    uvicorn_server: Any
    thread: threading.Thread | None = None

    def stop(self) -> None:
        self.uvicorn_server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)


def _make_server(
    sock: socket.socket, host: str, max_upload_bytes: int, workspace: Workspace
) -> Any:
    os.environ.update(_NO_TELEMETRY)
    import uvicorn

    from survstudy.web.app import create_app

    app = create_app(workspace, hosts=allowed_hosts(host), max_upload_bytes=max_upload_bytes)
    # the sans-I/O websockets protocol where uvicorn has it (the older one is deprecated)
    ws = "websockets-sansio" if "websockets-sansio" in uvicorn.config.WS_PROTOCOLS else "auto"
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        lifespan="on",
        ws=ws,  # type: ignore[arg-type]
    )
    return uvicorn.Server(config)


def serve(
    host: str = "127.0.0.1",
    port: int | None = None,
    *,
    open_browser: bool = True,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    in_thread: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> Server:
    """Run the app until stopped (Ctrl+C), or in a background thread with ``in_thread``.

    ``port`` None tries :data:`DEFAULT_PORT`, then any free port. ``on_ready`` is called with
    the address once the server accepts connections.
    """
    if port is None:
        try:
            sock = bind_socket(host, DEFAULT_PORT)
        except OSError:
            sock = bind_socket(host, 0)
    else:
        sock = bind_socket(host, port)
    url = _url(sock, host)
    workspace = Workspace()
    workspace.adopt_as_tempdir()
    server = _make_server(sock, host, max_upload_bytes, workspace)

    def announce() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if server.started:
            if on_ready is not None:
                on_ready(url)
            if open_browser:
                webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    handle = Server(url, sock, server)
    if in_thread:
        handle.thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        handle.thread.start()
        return handle
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        workspace.remove()
    return handle

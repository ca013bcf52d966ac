"""ASGI wrappers that give the local app the protections Shiny for Python lacks.

Shiny 1.8 accepts any ``Host`` header, any websocket ``Origin`` and uploads of any size. A web
page on another site could then talk to the app through the user's browser (DNS rebinding,
cross-site websocket hijacking) or fill the disk. Three small layers, outermost first:

- :class:`~starlette.middleware.trustedhost.TrustedHostMiddleware`: the ``Host`` header must
  name this machine (127.0.0.1 / localhost), else 400.
- :class:`SameOriginGuard`: a websocket, or an HTTP request that sends data (POST, PUT, ...),
  whose ``Origin`` is not this app's own origin is refused (403).
- :class:`UploadLimit`: a request body must declare its size (``Content-Length``; else 411)
  and stay within the limit (else 413, before a byte reaches the app); the streamed body is
  counted too and cut off the moment it passes the declared size or the limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DEFAULT_MAX_UPLOAD_BYTES",
    "LOCAL_HOSTS",
    "SameOriginGuard",
    "UploadLimit",
    "secure_app",
]

#: The largest upload accepted by default: 200 MB.
DEFAULT_MAX_UPLOAD_BYTES = 200 * 1024 * 1024

#: Host names by which a browser on this machine reaches the app.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
    """Refuse a request: an HTTP status, or for a websocket a close before accepting it.

    Closing a websocket before it is accepted makes the server answer the handshake with
    HTTP 403.
    """
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": text[:100]})
        return
    await PlainTextResponse(text, status_code=status)(scope, receive, send)


class SameOriginGuard:
    """Refuse websockets and data-sending requests whose ``Origin`` is another site.

    A browser always sends ``Origin`` on a websocket handshake and on a cross-site POST; it
    must equal ``http://`` plus the (already checked) ``Host`` header. Requests without an
    ``Origin`` come from programs, not from pages on other sites, and pass.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "websocket" or (kind == "http" and scope["method"] not in _SAFE_METHODS):
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            host = headers.get("host", "")
            if origin is not None and origin.lower() not in {
                f"http://{host}".lower(),
                f"https://{host}".lower(),
            }:
                await _refuse(scope, receive, send, 403, "Requests from other sites are refused")
                return
        await self.app(scope, receive, send)


class _TooLarge(Exception):
    pass


class UploadLimit:
    """Refuse request bodies above ``max_bytes`` (413) or of undeclared size (411).

    The declared ``Content-Length`` is checked before the app sees the request, so nothing of
    an oversized upload is stored. The body is also counted as it streams in: a client that
    sends more than it declared is cut off there.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES) -> None:
        if max_bytes < 0:
            raise ValueError("the upload limit cannot be negative")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is None or not declared.strip().isdigit():
            await _refuse(scope, receive, send, 411, "The upload must state its size")
            return
        size = int(declared)
        if size > self.max_bytes:
            await _refuse(scope, receive, send, 413, self._too_large_text())
            return
        received = 0
        started = False
        over = False
        refused = False

        async def refuse() -> None:
            nonlocal refused
            if not refused and not started:
                refused = True
                await PlainTextResponse(self._too_large_text(), status_code=413)(
                    scope, receive, send
                )

        async def counted_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > size:
                    over = True
                    raise _TooLarge
            return message

        async def watched_send(message: Message) -> None:
            # once the body ran over, whatever the app answers (an error) becomes the 413
            nonlocal started
            if over:
                await refuse()
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _TooLarge:
            await refuse()

    def _too_large_text(self) -> str:
        return f"The file is larger than the limit of {self.max_bytes / 1024 / 1024:.0f} MB"


def secure_app(
    app: ASGIApp,
    *,
    hosts: Iterable[str] = LOCAL_HOSTS,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
) -> ASGIApp:
    """``app`` behind the host check, the same-origin guard and the upload limit."""
    inner: Any = UploadLimit(app, max_upload_bytes)
    guarded: Any = SameOriginGuard(inner)
    return TrustedHostMiddleware(guarded, allowed_hosts=list(hosts), www_redirect=False)

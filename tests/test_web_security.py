"""The ASGI wrappers on their own: host check, same-origin guard, upload limit."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from survstudy.web.launch import allowed_hosts, is_loopback
from survstudy.web.security import SameOriginGuard, UploadLimit, secure_app

Message = dict[str, Any]


class Recorder:
    """An inner app that reads the whole body and answers 200; remembers what it got."""

    def __init__(self) -> None:
        self.called = False
        self.body = b""

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        self.called = True
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept"})
            return
        more = True
        while more:
            message = await receive()
            self.body += message.get("body", b"")
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _scope(
    kind: str = "http",
    method: str = "POST",
    headers: dict[str, str] | None = None,
    path: str = "/session/abc/upload/def",
) -> Message:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope: Message = {
        "type": kind,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": raw,
        "scheme": "http",
        "server": ("127.0.0.1", 8765),
        "client": ("127.0.0.1", 5000),
        "root_path": "",
    }
    if kind == "http":
        scope["method"] = method
    return scope


def _run(app: Any, scope: Message, chunks: list[bytes] = ()) -> list[Message]:  # type: ignore[assignment]
    sent: list[Message] = []
    queue = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ] or [{"type": "http.request", "body": b""}]
    if scope["type"] == "websocket":
        queue = [{"type": "websocket.connect"}]

    async def receive() -> Message:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    # a thread of its own: the browser tests' Playwright may already run a loop in this one
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return sent


def _status(sent: list[Message]) -> int | str:
    for m in sent:
        if m["type"] in ("http.response.start", "websocket.http.response.start"):
            return int(m["status"])
        if m["type"] in ("websocket.accept", "websocket.close"):
            return str(m["type"])
    raise AssertionError(f"no response in {sent}")


# ---- upload limit ------------------------------------------------------------------------


def test_declared_oversize_is_refused_before_the_app_sees_it() -> None:
    inner = Recorder()
    sent = _run(UploadLimit(inner, 100), _scope(headers={"Content-Length": "101"}), [b"x" * 101])
    assert _status(sent) == 413
    assert not inner.called


def test_undeclared_size_is_refused() -> None:
    inner = Recorder()
    sent = _run(
        UploadLimit(inner, 100), _scope(headers={"Transfer-Encoding": "chunked"}), [b"x" * 10]
    )
    assert _status(sent) == 411
    assert not inner.called


def test_body_longer_than_declared_is_cut_off() -> None:
    inner = Recorder()
    sent = _run(
        UploadLimit(inner, 100), _scope(headers={"Content-Length": "10"}), [b"x" * 10, b"y" * 90]
    )
    assert _status(sent) == 413
    assert len(inner.body) <= 10


def test_upload_within_the_limit_passes() -> None:
    inner = Recorder()
    sent = _run(
        UploadLimit(inner, 100), _scope(headers={"Content-Length": "100"}), [b"x" * 60, b"x" * 40]
    )
    assert _status(sent) == 200
    assert inner.body == b"x" * 100


def test_reading_requests_are_not_limited() -> None:
    inner = Recorder()
    assert _status(_run(UploadLimit(inner, 0), _scope(method="GET"))) == 200


def test_negative_limit_is_an_error() -> None:
    with pytest.raises(ValueError, match="negative"):
        UploadLimit(Recorder(), -1)


# ---- same origin ---------------------------------------------------------------------------


def test_websocket_from_another_site_is_closed_before_accepting() -> None:
    inner = Recorder()
    sent = _run(
        SameOriginGuard(inner),
        _scope("websocket", headers={"Host": "127.0.0.1:8765", "Origin": "http://evil.example"}),
    )
    assert _status(sent) == "websocket.close"
    assert not inner.called


@pytest.mark.parametrize("origin", ["null", "http://127.0.0.1:9999", "http://localhost:8765"])
def test_any_other_origin_is_foreign(origin: str) -> None:
    inner = Recorder()
    _run(
        SameOriginGuard(inner),
        _scope("websocket", headers={"Host": "127.0.0.1:8765", "Origin": origin}),
    )
    assert not inner.called


def test_websocket_from_the_app_itself_is_accepted() -> None:
    inner = Recorder()
    sent = _run(
        SameOriginGuard(inner),
        _scope("websocket", headers={"Host": "127.0.0.1:8765", "Origin": "http://127.0.0.1:8765"}),
    )
    assert _status(sent) == "websocket.accept"


def test_post_from_another_site_is_refused_but_get_is_not() -> None:
    headers = {"Host": "127.0.0.1:8765", "Origin": "http://evil.example", "Content-Length": "0"}
    assert _status(_run(SameOriginGuard(Recorder()), _scope(headers=headers))) == 403
    assert _status(_run(SameOriginGuard(Recorder()), _scope(method="GET", headers=headers))) == 200


# ---- the whole stack -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1:8765", 200),
        ("localhost:8765", 200),
        ("[::1]:8765", 200),
        ("evil.example:8765", 400),
        ("127.0.0.1.evil.example", 400),
        ("", 400),
    ],
)
def test_host_header_must_name_this_computer(host: str, status: int) -> None:
    app = secure_app(Recorder())
    headers = {"Host": host} if host else {}
    assert _status(_run(app, _scope(method="GET", headers=headers, path="/"))) == status


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_another_address_is_added_to_the_allowed_hosts() -> None:
    assert "192.168.1.5" in allowed_hosts("192.168.1.5")
    assert set(allowed_hosts("127.0.0.1")) == {"127.0.0.1", "localhost", "::1", "[::1]"}


def test_websocket_naming_another_host_is_refused() -> None:
    inner = Recorder()
    sent = _run(
        secure_app(inner),
        _scope("websocket", headers={"Host": "evil.example", "Origin": "http://evil.example"}),
    )
    assert _status(sent) == 400
    assert not inner.called

"""`survstudy serve` as a running server: where it listens, what it refuses, what it keeps."""

from __future__ import annotations

import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_web_support import (
    RunningApp,
    ShinyClient,
    get,
    listening_addresses,
    post,
    running_app,
)

pytest.importorskip("shiny")
websockets = pytest.importorskip("websockets")

LIMIT_MB = 1


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with running_app(
        tmp_path_factory.mktemp("serve") / "tmp", "--max-upload-mb", str(LIMIT_MB)
    ) as running:
        yield running


def _wait_for(condition: object, timeout: float = 20) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_listens_on_loopback_only(app: RunningApp) -> None:
    assert app.url.startswith("http://127.0.0.1:")
    assert listening_addresses(app.process.pid) == [("127.0.0.1", app.port)]


def test_page_is_served_to_the_local_host(app: RunningApp) -> None:
    status, _ = get(app.url)
    assert status == 200
    status, _ = get(app.url, host=f"localhost:{app.port}")
    assert status == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "192.168.1.10"])
def test_foreign_host_header_gets_400(app: RunningApp, host: str) -> None:
    status, _ = get(app.url, host=host)
    assert status == 400


def test_page_references_only_its_own_assets(app: RunningApp) -> None:
    _, html = get(app.url)
    links = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert links
    foreign = [u for u in links if re.match(r"^(?:[a-z]+:)?//", u, re.I)]
    assert foreign == []
    # and the styles and scripts themselves load nothing from elsewhere
    for link in links:
        if link.startswith("data:") or not link.endswith((".css", ".js")):
            continue
        status, text = get(app.url + link)
        assert status == 200
        assert re.findall(r"""url\(\s*["']?(?:https?:)?//""", text) == [], link
        assert re.findall(r"""@import\s+(?:url\()?["']?(?:https?:)?//""", text) == [], link


def test_foreign_origin_websocket_is_refused(app: RunningApp) -> None:
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as refused:
        ShinyClient(app.url, origin="http://evil.example")
    assert refused.value.response.status_code == 403


def test_own_origin_websocket_is_accepted(app: RunningApp) -> None:
    client = ShinyClient(app.url)
    assert re.fullmatch(r"[0-9a-f]{64}", client.session_id)
    client.close()


def test_foreign_origin_post_is_refused(app: RunningApp) -> None:
    client = ShinyClient(app.url)
    try:
        _, url = client.upload_url("registry.csv", 10)
        assert post(url, b"id\n1\n", {"Origin": "http://evil.example"}) == 403
    finally:
        client.close()


def test_oversized_upload_is_refused_and_nothing_is_stored(app: RunningApp) -> None:
    client = ShinyClient(app.url)
    try:
        big = LIMIT_MB * 1024 * 1024 + 1
        _, url = client.upload_url("registry.csv", big)
        assert post(url, b"x" * big) == 413
        assert app.files() == []
        # a body declared small cannot be longer: the server reads only what was declared
        assert post(url, b"x" * 100, {"Transfer-Encoding": "chunked"}) == 411
        assert app.files() == []
    finally:
        client.close()


def test_upload_is_kept_private_under_a_random_name_and_removed_at_session_end(
    app: RunningApp,
) -> None:
    client = ShinyClient(app.url)
    body = (
        Path(__file__)
        .parents[1]
        .joinpath("src/survstudy/examples/liver_resection/registry.csv")
        .read_bytes()
    )
    job, url = client.upload_url("Secret Patients.csv", len(body))
    assert post(url, body) == 200
    client.call("uploadEnd", job, "upload")
    assert _wait_for(lambda: any(p.name.startswith("data-") for p in app.files()))
    stored = [p for p in app.files() if p.name.startswith("data-")]
    assert len(stored) == 1
    assert re.fullmatch(r"data-[0-9a-f]{16}\.csv", stored[0].name)
    assert stored[0].read_bytes() == body
    assert all("Secret" not in str(p) for p in app.files())
    assert stat.S_IMODE(stored[0].stat().st_mode) == 0o600
    folder = stored[0].parent
    while folder != app.tmp:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        folder = folder.parent
    client.close()
    assert _wait_for(lambda: not any(p.name.startswith("data-") for p in app.files()))


def test_workspace_is_removed_at_exit(tmp_path: Path) -> None:
    with running_app(tmp_path / "tmp") as running:
        assert len(running.workspaces()) == 1
        client = ShinyClient(running.url)
        body = b"patient_id,time,died\n1,10,1\n"
        job, url = client.upload_url("r.csv", len(body))
        assert post(url, body) == 200
        client.call("uploadEnd", job, "upload")
        assert _wait_for(lambda: len(running.files()) == 1)
    assert running.process.returncode is not None
    assert running.workspaces() == []


def test_another_host_binds_exactly_that_address(tmp_path: Path) -> None:
    with running_app(tmp_path / "tmp", "--host", "127.0.0.2") as running:
        assert running.url.startswith("http://127.0.0.2:")
        assert listening_addresses(running.process.pid) == [("127.0.0.2", running.port)]
        assert get(running.url)[0] == 200
        # a loopback address is this computer only: no warning
        assert not any("warning" in line for line in running.output)

"""``survstudy serve``: the local web app for people who do not write study files.

It listens on 127.0.0.1 (this computer only) unless ``--host`` names another address, which
prints a warning: anyone who can reach that address could then open the app and the data
uploaded to it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from survstudy.cli import app, handles_input_errors

__all__ = ["serve"]


@app.command()
@handles_input_errors
def serve(
    port: Annotated[
        int | None,
        typer.Option(help="Port to listen on (default: 8765, or a free one if it is taken)."),
    ] = None,
    host: Annotated[
        str,
        typer.Option(
            help="Address to listen on. The default, 127.0.0.1, is this computer "
            "only; any other address lets other computers reach the app."
        ),
    ] = "127.0.0.1",
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a web browser.")
    ] = False,
    max_upload_mb: Annotated[
        float, typer.Option(help="Largest registry file accepted, in MB.", min=0)
    ] = 200,
) -> None:
    """Start the web app on this computer and open it in the browser."""
    from survstudy.web.launch import is_loopback
    from survstudy.web.launch import serve as run

    if not is_loopback(host):
        typer.echo(
            f"warning: listening on {host}, not 127.0.0.1: other computers that can reach "
            "this address can open the app and the data uploaded to it. There is no "
            "password. Use this only on a network you trust.",
            err=True,
        )

    def ready(url: str) -> None:
        typer.echo(f"survstudy is running at {url}")
        typer.echo("Your data stay on this computer. Press Ctrl+C to stop.")

    try:
        run(
            host,
            port,
            open_browser=not no_browser,
            max_upload_bytes=int(max_upload_mb * 1024 * 1024),
            on_ready=ready,
        )
    except OSError as e:
        raise ValueError(
            f"cannot listen on {host}:{port or 'default port'}: {e.strerror or e}"
        ) from None

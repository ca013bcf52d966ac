"""The local web app behind ``survstudy serve`` (see ``docs/web-app.md``).

A thin layer: forms gather choices, :mod:`survstudy.web.pipeline` turns them into a study
file and runs the same ``load_study`` / ``analyse_study`` / ``build_document`` /
``write_report`` as the command line. :func:`serve` runs it on 127.0.0.1;
:func:`create_app` gives the ASGI application (behind its host, origin and upload-size
checks) to run under another server.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "serve"]


def __getattr__(name: str) -> Any:
    # Shiny and uvicorn are imported only when the app is wanted (the CLI must start fast)
    if name == "create_app":
        from survstudy.web.app import create_app

        return create_app
    if name == "serve":
        from survstudy.web.launch import serve

        return serve
    raise AttributeError(name)

"""chatrec's web UI: a Gradio page and a small JSON API over one `ChatRec`.

Importing `chatrec.ui` does not import gradio; `build_app`, `create_server_app`, `serve` and `main`
load `chatrec.ui.app` (and gradio with it) on first use.
"""

from __future__ import annotations

__all__ = ["build_app", "create_server_app", "serve", "main"]


def __getattr__(name: str):
    if name in __all__:
        from chatrec.ui import app

        return getattr(app, name)
    raise AttributeError(f"module 'chatrec.ui' has no attribute {name!r}")

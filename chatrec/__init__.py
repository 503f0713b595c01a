"""chatrec: a conversational recommender. `from chatrec import ChatRec`."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["ChatRec", "Settings", "__version__"]


def __getattr__(name: str):
    # Lazy: importing chatrec must not load torch, chromadb or a model.
    if name == "ChatRec":
        from chatrec.dialogue.manager import ChatRec

        return ChatRec
    if name == "Settings":
        from chatrec.settings import Settings

        return Settings
    raise AttributeError(f"module 'chatrec' has no attribute {name!r}")

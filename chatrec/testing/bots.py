"""Build a `ChatRec` for tests and scripted replays: small catalog, fast embedder, throwaway folders."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from chatrec.catalog import Catalog, load_catalog
from chatrec.embeddings import HashEmbedder
from chatrec.settings import Settings


def make_bot(*, catalog: Catalog | str | Path | None = None, llm: Any = "none", embedder: Any = "hash",
             home: str | Path | None = None, sessions: Any = ":memory:", collab: Any = "bundled", **options: Any):
    """A ChatRec for tests.

    `embedder="hash"` uses the instant HashEmbedder, `"real"` the bundled MiniLM; `collab="bundled"`
    uses the shipped ReDial co-mention model (its ids only match the bundled movie catalog and
    catalogs cut from it), `None` none. The Chroma index lives in `home` (a temporary folder by default).
    """
    from chatrec.collab.defaults import bundled_collab_path
    from chatrec.dialogue.manager import ChatRec
    from chatrec.embeddings import shared_embedder
    from chatrec.store import VectorIndex, make_client

    home = Path(home) if home else Path(tempfile.mkdtemp(prefix="chatrec-test-"))
    settings = Settings(home=home, llm="none", explain=True)
    if isinstance(catalog, (str, Path)):
        catalog = load_catalog(catalog)
    if embedder == "hash":
        embedder = HashEmbedder()
    elif embedder == "real":
        embedder = shared_embedder()
    if collab == "bundled":
        from chatrec.collab.cooccurrence import ItemItemModel

        path = bundled_collab_path()
        collab = ItemItemModel.load(path) if path else None
    if catalog is None:
        from chatrec.catalog import load_bundled_catalog

        catalog = load_bundled_catalog()
    store = VectorIndex(make_client(url=None, path=home / "chroma"), catalog, embedder)
    return ChatRec(catalog=catalog, llm=llm, store=store, sessions=sessions, settings=settings,
                   embedder=embedder, collab=collab, **options)

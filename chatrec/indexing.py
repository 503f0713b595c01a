"""Open the catalog and the vector index that settings describe; shared by the CLI and the dialogue manager.

`open_catalog` reads `settings.catalog` (one path, or several joined with os.pathsep) through the
generic loader with `settings.catalog_map`, or the bundled movies when no catalog is set.
`open_index` connects to `settings.chroma_url` when set, else to a local folder under
`settings.home/chroma`. Neither function syncs: call `VectorIndex.sync()` for that.
"""

from __future__ import annotations

import os
from pathlib import Path

from chatrec.catalog import Catalog, load_bundled_catalog, load_catalog
from chatrec.embeddings import Embedder, shared_embedder
from chatrec.errors import ConfigError
from chatrec.settings import Settings
from chatrec.store import VectorIndex, make_client


def catalog_paths(settings: Settings) -> list[Path]:
    """The catalog files settings name (empty for the bundled catalog)."""
    if not settings.catalog:
        return []
    return [Path(p).expanduser() for p in settings.catalog.split(os.pathsep) if p.strip()]


def open_catalog(settings: Settings) -> Catalog:
    """The user's catalog files (with the field mapping), or the bundled movie catalog."""
    paths = catalog_paths(settings)
    if not paths:
        if settings.catalog_map:
            raise ConfigError("a field mapping (--map / catalog_map) needs a catalog file to apply to")
        try:
            return load_bundled_catalog()
        except FileNotFoundError as exc:
            raise ConfigError(str(exc)) from None
    return load_catalog(list(paths), settings.catalog_map, ids=settings.catalog_ids)


def chroma_folder(settings: Settings) -> Path:
    """Where the local (PersistentClient) index lives."""
    return Path(settings.home).expanduser() / "chroma"


def open_index(settings: Settings, catalog: Catalog, embedder: Embedder | None = None) -> VectorIndex:
    """The catalog's Chroma collection on the configured server or in the local folder."""
    embedder = embedder or shared_embedder(settings.embed_model)
    client = make_client(url=settings.chroma_url, path=None if settings.chroma_url else chroma_folder(settings))
    return VectorIndex(client, catalog, embedder)


def index_location(settings: Settings) -> str:
    """A short human description of where the index lives, for messages."""
    return f"Chroma server {settings.chroma_url}" if settings.chroma_url else f"{chroma_folder(settings)}"

"""Which collaborative model a ChatRec gets: the user's interactions, the bundled ReDial statistics, or none.

A model built from a user's interaction file is saved under `home/collab/` keyed by the file's and
the catalog's fingerprints, so a restart loads it instead of rebuilding.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from chatrec.catalog import Catalog
from chatrec.settings import Settings

log = logging.getLogger(__name__)
BUNDLED_MODEL = "collab/redial_comentions"


def bundled_collab_path() -> Path | None:
    """The bundled co-mention statistics for the bundled movie catalog (None if not shipped)."""
    from chatrec.resources import bundled_dir

    path = bundled_dir("data") / BUNDLED_MODEL
    return path if path.with_suffix(".npz").exists() else None


def load_collab(settings: Settings, catalog: Catalog, *, bundled: bool):
    """The collaborative model for this catalog and settings, or None when there is none."""
    from chatrec.collab.cooccurrence import ItemItemModel

    if settings.interactions:
        links = Path(settings.interactions_links) if settings.interactions_links else None
        return interactions_model(Path(settings.interactions), catalog, Path(settings.home), links=links)
    if bundled:
        path = bundled_collab_path()
        return ItemItemModel.load(path) if path else None
    return None


def interactions_model(path: Path, catalog: Catalog, home: Path, *, links: Path | None = None, report: list | None = None):
    """Build (or load the cached) item-item model of an interaction file mapped onto the catalog.

    `report`, when given, receives the mapping report of a fresh build (what did not map).
    """
    from chatrec.collab.cooccurrence import ItemItemModel
    from chatrec.collab.interactions import load_interactions

    if not path.is_file():
        from chatrec.errors import ConfigError

        raise ConfigError(f"interaction file {path} does not exist")
    key = hashlib.sha256(f"{path.resolve()}|{stat_key(path)}|{stat_key(links)}|{catalog.fingerprint()}|v1".encode()).hexdigest()[:16]
    cache = home / "collab" / f"{path.stem}-{key}"
    if cache.with_suffix(".npz").exists():
        return ItemItemModel.load(cache)
    options = {"links": links} if links else {}
    interactions = load_interactions(path, catalog, **options)
    log.info("interactions %s: %s", path, interactions.report)
    if report is not None:
        report.append(interactions.report)
    model = ItemItemModel.from_interactions(interactions)
    cache.parent.mkdir(parents=True, exist_ok=True)
    model.save(cache)
    return model


def stat_key(path: Path | None) -> str:
    if path is None:
        return "-"
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"

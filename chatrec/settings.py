"""One settings object for chatrec; the environment is read in `Settings.from_env()` and nowhere else."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, Mapping

from pydantic import BaseModel, Field


def default_home() -> Path:
    """Where chatrec keeps its index, sessions and model cache unless told otherwise."""
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "chatrec"


class Settings(BaseModel):
    """Everything chatrec can be configured with. Pass one in, or build it with `from_env()`."""

    home: Path = Field(default_factory=default_home)
    """Folder for the local Chroma index, the session database and the assembled GGUF."""
    catalog: str | None = None
    """Path of a catalog file; None means the bundled movie catalog."""
    catalog_map: dict[str, str] = Field(default_factory=dict)
    catalog_ids: Literal["strict", "derive"] = "strict"
    """"strict": every record has a unique id. "derive": records without an id get "Title (Year)",
    exact repeats are dropped and other repeated ids get "#2", "#3", ... (CHATREC_CATALOG_IDS)."""
    """Field mapping for a user catalog: chatrec field -> source field."""
    interactions: str | None = None
    """Path of an interaction file (baskets or ratings) for the collaborative signal."""
    interactions_links: str | None = None
    """For a ratings file whose item ids are not catalog ids: a links file to IMDb ids (MovieLens links.csv)."""
    chroma_url: str | None = None
    """`http://host:port` of a Chroma server; None means a PersistentClient under `home`."""
    embed_model: str | None = None
    """A sentence-transformers model path; None means the bundled all-MiniLM-L6-v2."""
    llm: str = "local"
    """`local`, `none`, `gguf:/path/model.gguf`, `openai:MODEL` or `langchain:MODULE:CLASS:MODEL`."""
    llm_threads: int = 2
    """CPU threads for the in-process llama.cpp model."""
    llm_timeout: float = 60.0
    """Seconds one LLM call may take before it counts as failed."""
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    sessions: str | None = None
    """SQLite file for sessions; `:memory:` keeps them in memory; None means `home/sessions.db`."""
    top_k: int = 5
    """Recommendations per reply."""
    explain: bool = True
    """Ask the LLM for explanations (templates are used when False or when the LLM is `none`)."""
    explain_budget: float = 4.0
    """Seconds per turn the LLM may spend on explanations; later picks get template explanations."""
    turn_budget: float = 5.5
    """Seconds from a message to its last explanation: explanations still unwritten by then (even one
    being written) get templates. The picks themselves are never cut short. Half a second under the
    6 s a whole turn should take: the model reads a prompt it has started without interruption."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Build settings from CHATREC_* (and OPENAI_*) variables; keyword overrides win."""
        env = os.environ if environ is None else environ
        values: dict = {}
        simple = {
            "CHATREC_HOME": "home",
            "CHATREC_CATALOG": "catalog",
            "CHATREC_INTERACTIONS": "interactions",
            "CHATREC_INTERACTIONS_LINKS": "interactions_links",
            "CHATREC_CHROMA_URL": "chroma_url",
            "CHATREC_EMBED_MODEL": "embed_model",
            "CHATREC_LLM": "llm",
            "CHATREC_LLM_THREADS": "llm_threads",
            "CHATREC_LLM_TIMEOUT": "llm_timeout",
            "CHATREC_SESSIONS": "sessions",
            "CHATREC_TOP_K": "top_k",
            "CHATREC_EXPLAIN_BUDGET": "explain_budget",
            "CHATREC_TURN_BUDGET": "turn_budget",
            "CHATREC_CATALOG_IDS": "catalog_ids",
            "OPENAI_BASE_URL": "openai_base_url",
            "OPENAI_API_KEY": "openai_api_key",
        }
        for var, field in simple.items():
            if env.get(var):
                values[field] = env[var]
        if env.get("CHATREC_EXPLAIN"):
            values["explain"] = env["CHATREC_EXPLAIN"].lower() not in {"0", "false", "no", "off"}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def sessions_path(self) -> str:
        return self.sessions or str(self.home / "sessions.db")

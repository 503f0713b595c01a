"""Pick an LLM backend from one setting (`CHATREC_LLM`) or from an instance passed in Python.

Imports are lazy: `none` never imports llama_cpp, openai or langchain.
"""

from __future__ import annotations

import importlib
from typing import Any

from chatrec.errors import ConfigError
from chatrec.llm.base import LLM, NoLLM
from chatrec.settings import Settings

VALID_FORMS = (
    "local (the embedded model, default)",
    "none (no LLM: rules and templates)",
    "gguf:/path/to/model.gguf",
    "openai or openai:MODEL (OPENAI_BASE_URL / OPENAI_API_KEY)",
    "langchain:module.path:ClassName:model",
)


def make_llm(spec: str | LLM | Any | None = None, settings: Settings | None = None) -> LLM:
    """The LLM for `spec` (default `settings.llm`): a spec string, an `LLM`, or a LangChain chat model."""
    settings = settings if settings is not None else Settings()
    if spec is None:
        spec = settings.llm
    if isinstance(spec, LLM):
        return spec
    if isinstance(spec, str):
        return _from_string(spec.strip(), settings)
    return _from_object(spec)


def _from_string(spec: str, settings: Settings) -> LLM:
    kind, _, rest = spec.partition(":")
    kind = kind.lower()
    if kind == "none" and not rest:
        return NoLLM()
    if kind == "local" and not rest:
        from chatrec.llm.local import LocalLLM
        return LocalLLM(settings)
    if kind == "gguf" and rest:
        from chatrec.llm.gguf import resolve_gguf
        from chatrec.llm.local import LocalLLM
        return LocalLLM(settings, model_path=resolve_gguf(rest))
    if kind == "openai":
        from chatrec.llm.openai_compat import OpenAICompatLLM
        return OpenAICompatLLM(settings, model=rest or None)
    if kind == "langchain" and rest:
        return _from_object(_instantiate_langchain(rest), name=f"langchain:{rest}")
    raise ConfigError(f"unknown LLM setting {spec!r}; use one of: " + "; ".join(VALID_FORMS))


def _instantiate_langchain(target: str) -> Any:
    module_name, _, rest = target.partition(":")
    class_name, _, model = rest.partition(":")
    if not module_name or not class_name:
        raise ConfigError(f"langchain:{target} should look like langchain:module.path:ClassName:model")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name} for langchain:{target}: {exc}") from None
    except AttributeError:
        raise ConfigError(f"{module_name} has no class {class_name} (langchain:{target})") from None
    try:
        return cls(model=model) if model else cls()
    except Exception as exc:  # the provider's own validation (missing key, bad model name)
        raise ConfigError(f"cannot create {class_name}({'model=' + repr(model) if model else ''}): {exc}") from None


def _from_object(obj: Any, *, name: str | None = None) -> LLM:
    try:
        from langchain_core.language_models import BaseChatModel
    except ImportError:
        BaseChatModel = None
    if BaseChatModel is not None and isinstance(obj, BaseChatModel):
        from chatrec.llm.langchain_adapter import LangChainLLM
        return LangChainLLM(obj, name=name)
    raise ConfigError(f"cannot use a {type(obj).__name__} as the LLM; pass a chatrec.llm.LLM, a LangChain "
                      "BaseChatModel, or a setting: " + "; ".join(VALID_FORMS))

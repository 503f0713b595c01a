"""The exceptions chatrec raises on purpose; each carries a message written for a person."""

from __future__ import annotations


class ChatRecError(Exception):
    """Base class: anything chatrec reports to a user with a clear message."""


class CatalogError(ChatRecError):
    """A catalog file cannot be read: names the file, the record or line, and the field."""


class ConfigError(ChatRecError):
    """A setting is wrong or something it points at is missing."""


class LLMError(ChatRecError):
    """An LLM call failed for good (after retries and one repair); callers fall back on rules."""


class LLMUnavailable(LLMError):
    """The LLM could not be reached or loaded at all."""


class LLMOutputError(LLMError):
    """The LLM answered, but not with what the schema asks for, even after a repair attempt."""


class InputError(ChatRecError):
    """A message, session id or feedback value a user gave cannot be used."""


class ScriptError(ChatRecError):
    """A scripted conversation file is malformed: names the file, the line and what is wrong."""

"""Prompts are YAML files under `prompts/` (shipped in the wheel), rendered strictly.

A prompt file has `system` and `user` templates and optional few-shot `examples` (pairs of
`user`/`assistant`). Placeholders are `{{name}}`; a missing variable is an error, never an empty
string, and so is a variable the template does not use.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import yaml

from chatrec.llm.base import Message
from chatrec.resources import bundled_dir

_PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


class PromptError(KeyError):
    """A prompt file is missing, malformed, or rendered with the wrong variables."""

    def __str__(self) -> str:
        return str(self.args[0])


def render(template: str, variables: dict[str, object], *, where: str) -> str:
    """Replace every {{name}}; a missing variable raises PromptError."""
    def sub(match: re.Match) -> str:
        name = match.group(1)
        if name not in variables:
            raise PromptError(f"prompt {where}: variable {name!r} was not given")
        return str(variables[name])

    return _PLACEHOLDER.sub(sub, template)


@dataclass(frozen=True)
class Prompt:
    name: str
    system: str
    user: str
    examples: tuple[tuple[str, str], ...] = ()

    def variables(self) -> set[str]:
        return set(_PLACEHOLDER.findall(self.system)) | set(_PLACEHOLDER.findall(self.user))

    def messages(self, **variables: object) -> list[Message]:
        """System message, few-shot pairs, then the rendered user message."""
        unused = set(variables) - self.variables()
        if unused:
            raise PromptError(f"prompt {self.name}: variables {sorted(unused)} are not used by the template")
        msgs = [Message(role="system", content=render(self.system, variables, where=self.name))]
        for user, assistant in self.examples:
            msgs.append(Message(role="user", content=user))
            msgs.append(Message(role="assistant", content=assistant))
        msgs.append(Message(role="user", content=render(self.user, variables, where=self.name)))
        return msgs


@functools.lru_cache(maxsize=None)
def load_prompt(name: str) -> Prompt:
    """Load `prompts/<name>.yaml` from the package (or the source tree)."""
    path = bundled_dir("prompts") / f"{name}.yaml"
    if not path.exists():
        raise PromptError(f"prompt file {path} does not exist")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "system" not in data or "user" not in data:
        raise PromptError(f"prompt file {path} needs 'system' and 'user' entries")
    examples = tuple((str(e["user"]).strip(), str(e["assistant"]).strip()) for e in data.get("examples") or [])
    return Prompt(name=name, system=str(data["system"]).strip(), user=str(data["user"]).strip(), examples=examples)

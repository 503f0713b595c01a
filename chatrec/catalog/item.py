"""The catalog's unit: an `Item` (a movie, a book, a product) and the `Catalog` that holds them."""

from __future__ import annotations

import hashlib
import json
from typing import Iterator

from pydantic import BaseModel, Field


class Person(BaseModel):
    """Somebody credited on an item, with their role ("director", "star", "writer", "author", ...)."""

    name: str
    role: str


class Item(BaseModel):
    """One recommendable thing. Only `id` and `title` are required."""

    id: str
    title: str
    year: int | None = None
    genres: list[str] = Field(default_factory=list)
    """Lower-case genre names."""
    people: list[Person] = Field(default_factory=list)
    description: str = ""
    metadata: dict[str, str | int | float | bool | None] = Field(default_factory=dict)

    @property
    def label(self) -> str:
        """Title with year, as a person would write it: "Alien (1979)"."""
        return f"{self.title} ({self.year})" if self.year else self.title

    def people_with(self, role: str) -> list[str]:
        return [p.name for p in self.people if p.role == role]

    def embedding_text(self) -> str:
        """The text the embedder sees for this item."""
        parts = [self.label]
        if self.genres:
            parts.append("Genres: " + ", ".join(self.genres) + ".")
        directors = self.people_with("director")
        if directors:
            parts.append("Directed by " + ", ".join(directors[:2]) + ".")
        stars = self.people_with("star") or self.people_with("cast")
        if stars:
            parts.append("Starring " + ", ".join(stars[:3]) + ".")
        if self.description:
            parts.append(self.description[:600])
        return " ".join(parts)

    def content_hash(self) -> str:
        """Changes whenever anything that is embedded or filtered on changes."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


class Catalog:
    """An ordered, id-indexed collection of items; iterate it to get `Item`s."""

    def __init__(self, items: list[Item], *, name: str = "catalog", source: str | None = None):
        self.name = name
        self.source = source
        self.load_notes: dict[str, int] = {}
        """What the loader did to ids (with the "derive" id policy): derived, suffixed, dropped."""
        self._items = list(items)
        self._by_id = {item.id: item for item in self._items}
        if len(self._by_id) != len(self._items):
            seen: set[str] = set()
            dup = next(i.id for i in self._items if i.id in seen or seen.add(i.id))
            raise ValueError(f"duplicate item id {dup!r} in catalog {name}")

    def __iter__(self) -> Iterator[Item]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._by_id

    def __getitem__(self, item_id: str) -> Item:
        return self._by_id[item_id]

    def get(self, item_id: str) -> Item | None:
        return self._by_id.get(item_id)

    @property
    def ids(self) -> list[str]:
        return [item.id for item in self._items]

    def fingerprint(self) -> str:
        """A short hash of every item's content, to name caches that belong to this catalog."""
        digest = hashlib.sha256()
        for item in self._items:
            digest.update(item.id.encode())
            digest.update(item.content_hash().encode())
        return digest.hexdigest()[:16]

    def __repr__(self) -> str:
        return f"Catalog(name={self.name!r}, items={len(self)})"

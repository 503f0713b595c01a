"""Catalog items and the loaders that read them from a user's files."""

from chatrec.catalog.item import Catalog, Item, Person
from chatrec.catalog.loaders import load_bundled_catalog, load_catalog, parse_mapping

__all__ = ["Catalog", "Item", "Person", "load_catalog", "load_bundled_catalog", "parse_mapping"]

"""Collaborative signal: interaction loaders and the item-item co-occurrence model."""

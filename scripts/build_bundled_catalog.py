"""Convert ../shared/data/movies_redial/id2info.json into data/movies.jsonl (the bundled catalog).

Source: RUCAIBox/iEvaLM-CRS data/redial/id2info.json (MIT); the movie set is ReDial's (CC BY 4.0).
Run from the repo root: python scripts/build_bundled_catalog.py [SOURCE]
"""

import json
import sys
from pathlib import Path

from chatrec.catalog.loaders import record_to_item

source = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/movies_redial/id2info.json")
raw = json.loads(source.read_text(encoding="utf-8"))
mapping = {"title": "name", "description": "plot", "genres": "genre",
           "people.director": "director", "people.writer": "writer", "people.star": "star",
           "metadata.imdb_id": "imdb_id"}
out = Path("data/movies.jsonl")
with out.open("w", encoding="utf-8") as handle:
    for key, record in raw.items():
        item = record_to_item(record, mapping, where=f"{source} record {key}", fallback_id=key)
        row = {"id": item.id, "title": item.title, "year": item.year, "genres": item.genres,
               "description": item.description,
               "director": item.people_with("director"), "writer": item.people_with("writer"),
               "star": item.people_with("star"), "imdb_id": item.metadata.get("imdb_id")}
        handle.write(json.dumps(row, ensure_ascii=False) + "\n")
print(f"wrote {len(raw)} items to {out}")

"""The same VectorIndex code against a real `chroma run` server on 127.0.0.1 (started and stopped here)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from helpers_index import mini_catalog, titles

from chatrec.embeddings import HashEmbedder
from chatrec.errors import ConfigError
from chatrec.indexing import open_index
from chatrec.settings import Settings
from chatrec.store import Filters

pytestmark = pytest.mark.chroma_server
READY_TIMEOUT_S = 60


def chroma_executable() -> str:
    """The `chroma` script next to this Python (the venv's bin), else the one on PATH."""
    beside = Path(sys.executable).parent / "chroma"
    found = str(beside) if beside.exists() else shutil.which("chroma")
    if not found:
        pytest.fail("the `chroma` command is missing: chromadb is not installed in this environment")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    """Poll the heartbeat until it answers, the server dies, or READY_TIMEOUT_S pass."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"chroma run exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with opener.open(f"{url}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"chroma run did not answer {url} within {READY_TIMEOUT_S} s:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [chroma_executable(), "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def server_settings(url: str, tmp_path: Path) -> Settings:
    return Settings.from_env({"CHATREC_CHROMA_URL": url, "CHATREC_HOME": str(tmp_path)})


def test_index_and_query_through_the_server(chroma_url, tmp_path):
    settings = server_settings(chroma_url, tmp_path)
    catalog = mini_catalog()
    index = open_index(settings, catalog, HashEmbedder())
    first = index.sync()
    assert (first.embedded, index.count()) == (len(catalog), len(catalog))
    assert not (tmp_path / "chroma").exists()  # nothing went to the local folder

    again = open_index(settings, mini_catalog(), HashEmbedder()).sync()
    assert (again.embedded, again.unchanged) == (0, len(catalog))

    vector = index.embedder.embed(["Alien 1979 Ridley Scott creature"])[0]
    hits = index.query(vector, k=5)
    assert titles(catalog, [hits[0].item_id]) == ["Alien"]
    horror = index.query(vector, k=50, filters=Filters(genres_any=("horror",), year_max=2000))
    assert {c.item_id for c in horror} == {i.id for i in catalog if "horror" in i.genres and i.year <= 2000}


def test_an_unreachable_server_is_a_clear_error(tmp_path):
    settings = server_settings(f"http://127.0.0.1:{free_port()}", tmp_path)
    with pytest.raises(ConfigError, match="Cannot reach the Chroma server"):
        open_index(settings, mini_catalog(), HashEmbedder())

"""Exposure (issue 15, high): a token can never be empty, the server refuses to face the network
without one, answers only its own Host names, and never answers from a damaged index with a 500.
How the token is checked is in tests/test_middleware_token_auth.py."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import client_for
from pydantic import SecretStr, ValidationError

from reportqa.settings import Settings
from web.serve import check_exposure, is_loopback

TOKEN = "s3cret-token"


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_an_empty_token_is_refused(blank: str) -> None:
    with pytest.raises(ValidationError, match="set but empty"):
        Settings(api_token=blank)


def test_serve_with_an_empty_token_in_the_environment_exits_with_a_clear_message(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update(REPORTQA_API_TOKEN="", REPORTQA_INDEX_DIR=str(tmp_path / "index"))
    result = subprocess.run([sys.executable, "-m", "reportqa.cli", "serve"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "REPORTQA_API_TOKEN is set but empty" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "index").exists()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)
    check_exposure(Settings(host=host))


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "reportqa.force.local"])
def test_binding_to_the_network_needs_a_token_or_insecure(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ValueError, match="without an API token"):
        check_exposure(Settings(host=host))
    check_exposure(Settings(host=host, api_token=SecretStr(TOKEN)))
    check_exposure(Settings(host=host, insecure=True))


def test_serve_on_the_network_without_a_token_is_refused_before_indexing(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update(REPORTQA_INDEX_DIR=str(tmp_path / "index"))
    result = subprocess.run([sys.executable, "-m", "reportqa.cli", "serve", "--host", "0.0.0.0"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "--insecure" in result.stderr and not (tmp_path / "index").exists()


def test_damage_to_the_live_build_is_noticed_and_never_a_500(fake_built, tmp_path) -> None:
    from indexer.embedding import FakeEmbedder
    from indexer.store import live_build
    from retriever.retriever import Retriever

    retriever = Retriever.open(fake_built, embedder=FakeEmbedder())
    client = client_for(fake_built, retriever)
    before = client.get("/api/search", params={"q": "warning notices", "k": 3}).json()["results"]
    assert client.get("/api/health").status_code == 200
    build = live_build(fake_built.index_dir)
    vectors = build / "sentences.npy"
    data = bytearray(vectors.read_bytes())
    data[-64:] = b"\x7f" * 64  # huge floats, as a flipped byte would give
    vectors.write_bytes(bytes(data))
    after = client.get("/api/search", params={"q": "warning notices", "k": 3}).json()["results"]
    assert [r["score"] for r in after] == [r["score"] for r in before]  # verified vectors stay in memory
    health = client.get("/api/health")
    assert health.status_code == 503 and "sentences.npy" in health.json()["detail"]
    (build / "index.sqlite").write_bytes(b"not a database" * 100)
    retriever.reader._local.__dict__.clear()  # a fresh connection per thread, as a new request thread gets
    phrase = client.get("/api/search", params={"q": '"warning notices"'})
    assert phrase.status_code == 503 and "rebuild" in phrase.json()["detail"]



def test_only_the_servers_own_host_names_are_answered(fake_retriever) -> None:
    settings = fake_retriever.settings.model_copy(update={"allowed_hosts": None})  # the default, on loopback
    assert "127.0.0.1" in settings.served_hosts() and "*" not in settings.served_hosts()
    client = client_for(settings, fake_retriever, base_url="http://127.0.0.1:8000")
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/health", headers={"Host": "localhost:8000"}).status_code == 200
    assert client.get("/api/health", headers={"Host": "rebound.attacker.example"}).status_code == 400
    assert Settings(host="0.0.0.0", insecure=True).served_hosts() == ["*"]
    assert Settings(host="0.0.0.0", allowed_hosts=["reportqa.force.local"]).served_hosts() == ["reportqa.force.local"]


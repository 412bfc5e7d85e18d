"""The production server settings let every request the contract allows reach the app, so
it answers problem+json (issue 9 item 8): a long bearer token, a long GET /stock, and the POST
query form for 1000 SKUs. Runs both servers for real on a free port: granian as
deploy/serve.sh starts it (the default) and gunicorn with deploy/gunicorn.conf.py."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.factories import make_api_client, make_product, make_warehouse, receive_stock

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVERS = {
    "gunicorn": [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
    "granian": ["sh", "deploy/serve.sh"],
}


@pytest.fixture(scope="module", params=sorted(SERVERS))
def gunicorn(request: pytest.FixtureRequest, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API base URL of a live server (named for the first one tested; both are run), started
    once per server for this module's tests; each test's data comes from `token` (committed_app)."""
    port = _free_port()
    instance = tmp_path_factory.mktemp(f"limits-{request.param}")
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "limits-test", "STOCKWISE_INSTANCE": str(instance),
           "LOG_LEVEL": "WARNING", "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2",
           "BIND_PORT": str(port), "WEB_THREADS": "2", "GRANIAN": str(Path(sys.executable).with_name("granian"))}
    proc = subprocess.Popen(SERVERS[request.param], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(f"{request.param} did not start") from None
                time.sleep(0.2)
        yield url + "/api/v1"
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(15)
        if proc.stderr:
            proc.stderr.close()


@pytest.fixture
def token(committed_app: Any) -> str:
    s = committed_app.extensions["stockwise_db"].sessionmaker()
    try:
        receive_stock(s, make_product(s, sku="LIM-1"), make_warehouse(s, kind="cloud", code="LIM-WH"), 7)
        _client, token = make_api_client(s, ("stock:read",))
        s.commit()
    finally:
        s.close()
    return token


def test_a_20000_character_bearer_token_gets_the_apps_401_problem(gunicorn: str, token: str) -> None:
    resp = requests.get(gunicorn + "/stock", params={"sku": "LIM-1"}, timeout=10,
                        headers={"Authorization": "Bearer " + "x" * 20_000})
    assert resp.status_code == 401, resp.text[:200]
    assert resp.headers["Content-Type"].startswith("application/problem+json")


def test_a_get_stock_request_line_of_8000_bytes_reaches_the_app(gunicorn: str, token: str) -> None:
    params = [("sku", "LIM-1")] * 790  # ~7,900 bytes of query: over gunicorn's default 4094
    resp = requests.get(gunicorn + "/stock", params=params, timeout=10, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.text[:200]
    assert resp.json()["stock"][0]["on_hand"] == 7
    too_many = requests.get(gunicorn + "/stock", params=[("sku", "GHOST")] * 700, timeout=10,
                            headers={"Authorization": f"Bearer {token}"})
    assert too_many.status_code == 404 and too_many.headers["Content-Type"].startswith("application/problem+json")


def test_the_post_query_form_takes_the_1000_skus_the_contract_allows(gunicorn: str, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    resp = requests.post(gunicorn + "/stock/query", json={"sku": ["LIM-1"] * 1000}, timeout=10, headers=auth)
    assert resp.status_code == 200, resp.text[:200]
    over = requests.post(gunicorn + "/stock/query", json={"sku": ["LIM-1"] * 1001}, timeout=10, headers=auth)
    assert over.status_code == 422 and over.headers["Content-Type"].startswith("application/problem+json")

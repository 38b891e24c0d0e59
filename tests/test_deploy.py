"""The shipped deployment: gunicorn with contrib/deploy's settings, several workers at once."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from shopdesk.settings import read_or_create

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent


def test_processes_starting_together_agree_on_one_instance_secret(tmp_path):
    path = tmp_path / "instance" / "secret_key"
    start = threading.Barrier(16)
    seen = []

    def worker(n):
        start.wait()
        seen.append(read_or_create(path, lambda: f"value of worker {n}".encode()))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1 and seen[0] == path.read_bytes()
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no drafts left behind
    assert path.stat().st_mode & 0o777 == 0o600


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(tmp_path, *args, **env_extra):
    """gunicorn with contrib/deploy's settings on a migrated SQLite database; yields
    (base URL, the server's output so far as a callable)."""
    env = {**os.environ, "SHOPDESK_INSTANCE_PATH": str(tmp_path), "SHOPDESK_BIND": f"127.0.0.1:{free_port()}",
           "SHOPDESK_EVENTS_DISPATCH": "manual", **env_extra}
    for key in ("SHOPDESK_DATABASE_URL", "SHOPDESK_REDIS_URL", "SHOPDESK_TRUSTED_PROXIES", "WEB_CONCURRENCY"):
        if key not in env_extra:
            env.pop(key, None)
    if not (tmp_path / "shopdesk.db").exists():
        subprocess.run([BIN / "shopdesk", "db", "upgrade"], env=env, check=True, capture_output=True)
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([BIN / "gunicorn", "-c", ROOT / "contrib/deploy/gunicorn.conf.py", *args],
                                  env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        url = f"http://{env['SHOPDESK_BIND']}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        yield url, log.read_text
    finally:
        server.terminate()
        server.wait(timeout=30)


def readiness(url) -> dict:
    with urllib.request.urlopen(f"{url}/readyz", timeout=5) as answer:
        return json.load(answer)


def test_the_app_serves_under_gunicorn_with_the_shipped_settings(tmp_path):
    with gunicorn(tmp_path, SHOPDESK_WORKERS="3") as (url, output):
        with urllib.request.urlopen(f"{url}/login", timeout=5) as page:
            assert page.status == 200 and b"<form" in page.read()
        assert sorted(p.name for p in tmp_path.iterdir()
                      if not p.name.startswith(("shopdesk.db", "gunicorn.log"))) == ["secret_key", "settings.key"]
        # Three workers and no Redis: each counts its own rate limits, and says so.
        assert "3 workers and no SHOPDESK_REDIS_URL" in readiness(url)["rate_limits"]
        assert "rate limits are counted per process: 3 workers" in output()


def test_the_app_learns_the_worker_count_gunicorn_really_runs(tmp_path):
    with gunicorn(tmp_path, "--workers", "2") as (url, _):
        assert readiness(url)["rate_limits"].startswith("counted per process: 2 workers")


def https_asked_for(url) -> bool:
    """Whether the app took a request from 127.0.0.1 claiming X-Forwarded-Proto: https as
    secure (it then sends HSTS)."""
    request = urllib.request.Request(f"{url}/healthz", headers={"X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return "Strict-Transport-Security" in answer.headers


def test_forwarded_headers_count_only_when_shopdesk_trusted_proxies_says_so(tmp_path):
    with gunicorn(tmp_path, "--workers", "1") as (url, _):
        assert not https_asked_for(url)  # no proxy trusted: neither gunicorn nor the app believe it
    with gunicorn(tmp_path, "--workers", "1", SHOPDESK_TRUSTED_PROXIES="1") as (url, _):
        assert https_asked_for(url)

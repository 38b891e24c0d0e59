"""The shipped deployment: gunicorn with contrib/deploy's settings, several workers at once."""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
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


def test_the_app_serves_under_gunicorn_with_the_shipped_settings(tmp_path):
    env = {**os.environ, "SHOPDESK_INSTANCE_PATH": str(tmp_path), "SHOPDESK_WORKERS": "3",
           "SHOPDESK_BIND": f"127.0.0.1:{free_port()}", "SHOPDESK_EVENTS_DISPATCH": "manual"}
    env.pop("SHOPDESK_DATABASE_URL", None)
    subprocess.run([BIN / "shopdesk", "db", "upgrade"], env=env, check=True, capture_output=True)
    server = subprocess.Popen([BIN / "gunicorn", "-c", ROOT / "contrib/deploy/gunicorn.conf.py"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        url = f"http://{env['SHOPDESK_BIND']}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        with urllib.request.urlopen(f"{url}/login", timeout=5) as page:
            assert page.status == 200 and b"<form" in page.read()
        assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("shopdesk.db")) == \
            ["secret_key", "settings.key"]
    finally:
        server.terminate()
        server.wait(timeout=30)

"""What a hook call and start-up cost, as ratios measured in the same run.

1. baseline: 5 plain functions called in a loop;
2. one plain pluggy hook call reaching 5 implementations;
3. one per-store hook call, 10 plugins installed and 5 enabled in the store, through the
   store's hooks as a request holds them (``g.hooks``); the ``for_store`` lookup a request
   makes once is printed separately;
4. start-up: a fresh interpreter importing the host and running ``create_app()`` with every
   installed plugin, against one building a bare Flask app.

Aims: per-store call within 1.2x the plain pluggy call; start-up under 1 s.
Run: .venv/bin/python bench/hooks.py
"""

import statistics
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

import pluggy
from cryptography.fernet import Fernet

from shopdesk import hookspecs
from shopdesk.testing import make_plugin

ROUNDS, CALLS = 15, 20_000


def best_per_call(fn) -> float:
    """Best of ROUNDS, in microseconds per call: the least disturbed measurement."""
    return min(timeit.repeat(fn, number=CALLS, repeat=ROUNDS)) / CALLS * 1e6


def plugins(n):
    return [make_plugin(f"p{i:02d}", register_commands=lambda cli: None) for i in range(n)]


def hook_figures(tmp: Path):
    from shopdesk.app import create_app
    from shopdesk.db import db
    from shopdesk.migrate import upgrade
    from shopdesk.stores import create_store, enable_plugin

    functions = [lambda cli: None for _ in range(5)]

    def plain_functions():
        for f in functions:
            f(cli=None)

    pm = pluggy.PluginManager("shopdesk")
    pm.add_hookspecs(hookspecs)
    for p in plugins(5):
        pm.register(p, name=p.manifest.name)

    app = create_app({"SECRET_KEY": "bench", "SHOPDESK_SETTINGS_KEY": Fernet.generate_key(),
                      "INSTANCE_PATH": str(tmp), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}"},
                     plugins=plugins(10), entry_points=[])
    with app.app_context():
        upgrade(app)
        registry = app.extensions["shopdesk"]
        store = create_store("bench", "Bench")
        for name in sorted(registry.working)[:5]:
            enable_plugin(registry, store, name)
        db.session.commit()
        hooks = registry.for_store(store)
        assert len(hooks.register_commands.get_hookimpls()) == 5
        baseline = best_per_call(plain_functions)
        plain = best_per_call(lambda: pm.hook.register_commands(cli=None))
        per_store = best_per_call(lambda: hooks.register_commands(cli=None))
        lookup = best_per_call(lambda: registry.for_store(store))
    return baseline, plain, per_store, lookup


STARTUP = """
import time; t = time.perf_counter()
{body}
print((time.perf_counter() - t) * 1000)
"""
SHOPDESK_APP = """
from shopdesk.app import create_app
create_app({{"SECRET_KEY": "b", "INSTANCE_PATH": {tmp!r}, "SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp}/s.db"}})
"""
BARE_APP = """
import flask
app = flask.Flask("bare"); bp = flask.Blueprint("bp", "bare"); app.register_blueprint(bp)
"""


def startup_ms(body: str, runs: int = 7) -> float:
    times = [float(subprocess.run([sys.executable, "-c", STARTUP.format(body=body)], check=True,
                                  capture_output=True, text=True).stdout) for _ in range(runs)]
    return statistics.median(times)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        baseline, plain, per_store, lookup = hook_figures(Path(tmp))
        startup = startup_ms(SHOPDESK_APP.format(tmp=tmp))
        bare = startup_ms(BARE_APP)
    from importlib.metadata import entry_points

    installed = len(list(entry_points(group="shopdesk.plugins")))
    print(f"5 plain functions:               {baseline:6.2f} us")
    print(f"plain pluggy call, 5 impls:      {plain:6.2f} us  ({plain / baseline:.2f}x baseline)")
    print(f"per-store call, 5 of 10 enabled: {per_store:6.2f} us  ({per_store / plain:.2f}x plain pluggy)")
    print(f"for_store() once per request:    {lookup:6.2f} us")
    print(f"start-up with {installed} installed plugin(s): {startup:.0f} ms (bare Flask app {bare:.0f} ms, "
          f"{startup / bare:.2f}x)")
    print(f"hooks: ratio {per_store / plain:.2f} (per-store call / plain pluggy call) startup {startup:.0f} ms")


if __name__ == "__main__":
    main()

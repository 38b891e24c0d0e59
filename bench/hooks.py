"""Hook-call and start-up benchmarks for Shopdesk.

Run from the repository root::

    .venv/bin/python bench/hooks.py

Every figure is measured in this one run, and the headline figures are ratios against a
baseline measured in the same run, so a slow or busy machine moves numerator and denominator
together. Micro-benchmarks use ``timeit``: the loop count is calibrated once, then the
measurements are taken in interleaved rounds (baseline, plain pluggy, per-store, ... in turn)
and each figure is the best of the rounds; the median of the per-round ratios is printed next
to it as a check that the best-of figures are not one lucky round.

The hook used is ``register_commands(cli)``: every store hook in ``shopdesk.hookspecs`` takes
``ctx`` (and goes through ``StoreHooks.each``), and this is the existing spec with no ``ctx``
that still passes one argument, as store hooks do. It is not historic and not firstresult.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import warnings
from pathlib import Path

import pluggy
from cryptography.fernet import Fernet
from pluggy._hooks import _SubsetHookCaller  # only for the prototype below

import shopdesk
import shopdesk.hookspecs
from shopdesk.app import create_app
from shopdesk.db import db
from shopdesk.migrate import upgrade
from shopdesk.stores import create_store, enable_plugin

ROUNDS = 15          # interleaved timing rounds for the hook calls (best-of / median-of)
TARGET_SECONDS = 0.05  # each timing in a round lasts about this long
STARTUP_RUNS = 7     # create_app() runs (in-process and in fresh processes), median
INSTALLED, ENABLED = 10, 5
HOOK = "register_commands"


# --- plugins -------------------------------------------------------------------------------


class BenchPlugin:
    """A test plugin implementing the benchmarked hook; each instance has its own name."""

    def __init__(self, index: int):
        self.manifest = shopdesk.Manifest(
            name=f"bench{index:02d}", label=f"Bench {index}",
            description="benchmark plugin", version="1.0",
        )

    @shopdesk.hookimpl
    def register_commands(self, cli):
        return None


def plain_function(cli):
    """The same signature and body as the hook implementation, without pluggy."""
    return None


# --- prototype of a cheaper per-store view (benchmark only; core is unchanged) ------------------


class _CachedSubsetCaller(_SubsetHookCaller):
    """pluggy's subset caller with the subset computed once instead of on every call.

    ``HookCaller.__call__`` (argument checks, firstresult, the copy) runs unchanged; the slot
    shadows ``_SubsetHookCaller._hookimpls``, a property that filters every installed plugin's
    implementation on each call.
    """

    __slots__ = ("_hookimpls",)

    def __init__(self, orig, remove_plugins):
        super().__init__(orig, remove_plugins)
        self._hookimpls = [i for i in orig._hookimpls if i.plugin not in remove_plugins]


class _StoreHookCaller:
    """A minimal caller: the subset and the spec's options resolved once, per view.

    Does what ``HookCaller.__call__`` does for a non-historic hook (spec defaults, warning on
    a missing argument, firstresult) through the same ``pm._hookexec``, without the property
    look-ups a ``_SubsetHookCaller`` makes on every call.
    """

    __slots__ = ("name", "_hookexec", "_impls", "_argnames", "_defaults", "_firstresult")

    def __init__(self, orig, remove_plugins):
        spec = orig.spec
        self.name = orig.name
        self._hookexec = orig._hookexec
        self._impls = [i for i in orig.get_hookimpls() if i.plugin not in remove_plugins]
        self._argnames = spec.argnames if spec else ()
        self._defaults = spec.kwargdefaults if spec else {}
        self._firstresult = spec.opts.get("firstresult", False) if spec else False

    def get_hookimpls(self):
        return self._impls.copy()

    def __call__(self, **kwargs):
        if self._defaults:
            kwargs = {**self._defaults, **kwargs}
        for argname in self._argnames:
            if argname not in kwargs:
                warnings.warn(f"Argument {argname!r} declared in the hookspec is missing "
                              f"in this call of {self.name}", stacklevel=2)
        return self._hookexec(self.name, self._impls.copy(), kwargs, self._firstresult)


class PrototypeView:
    caller_class = _CachedSubsetCaller

    def __init__(self, registry, store, version):
        self.pm = registry.pm
        self.version = version
        self.store = store
        self._removed = {registry.pm.get_plugin(n) for n in registry.working - registry.for_store(store).enabled}

    def __getattr__(self, hook):
        if hook.startswith("_"):
            raise AttributeError(hook)
        orig = getattr(self.pm.hook, hook)
        remove = self._removed.intersection(i.plugin for i in orig.get_hookimpls())
        caller = self.__dict__[hook] = self.caller_class(orig, remove) if remove else orig
        return caller


class MinimalPrototypeView(PrototypeView):
    caller_class = _StoreHookCaller


def prototype_for_store(registry, store, views, view_class=PrototypeView):
    """``Registry.for_store`` reading loaded column values from the instance dict."""
    loaded = store.__dict__
    try:
        store_id, version = loaded["id"], loaded["plugins_version"]
    except KeyError:  # expired after a commit: let SQLAlchemy load them
        store_id, version = store.id, store.plugins_version
    view = views.get(store_id)
    if view is None or view.version != version:
        view = views[store_id] = view_class(registry, store, version)
    view.store = store
    return view


# --- timing helpers ----------------------------------------------------------------------------


def calibrate(stmt, namespace) -> int:
    """A loop count making one timing last about TARGET_SECONDS."""
    timer = timeit.Timer(stmt, globals=namespace)
    number, elapsed = timer.autorange()
    return max(1, int(number * TARGET_SECONDS / max(elapsed, 1e-9)))


def interleaved(cases: dict[str, str], namespace: dict, rounds: int = ROUNDS) -> dict[str, list[float]]:
    """Seconds per call of each statement, one sample per round, the cases taken in turn."""
    numbers = {name: calibrate(stmt, namespace) for name, stmt in cases.items()}
    timers = {name: timeit.Timer(stmt, globals=namespace) for name, stmt in cases.items()}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, timer in timers.items():
            samples[name].append(timer.timeit(numbers[name]) / numbers[name])
    return samples


def paired_ratio(samples, top, bottom) -> float:
    return statistics.median(t / b for t, b in zip(samples[top], samples[bottom]))


def fmt_us(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} us"


def config(folder: Path, db_file: Path) -> dict:
    return {
        "SECRET_KEY": "bench-secret",
        "SHOPDESK_SETTINGS_KEY": Fernet.generate_key(),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
        "INSTANCE_PATH": str(folder / "instance"),
    }


# --- 1-3: hook calls ---------------------------------------------------------------------------


def hook_call_benchmarks(tmp: Path) -> dict:
    # 1. baseline: 5 plain functions called in a loop.
    functions = [plain_function] * ENABLED
    cli = object()

    # 2. a plain PluginManager with the host's hookspecs and 5 plugins.
    pm = pluggy.PluginManager("shopdesk")
    pm.add_hookspecs(shopdesk.hookspecs)
    for i in range(ENABLED):
        pm.register(BenchPlugin(i), name=f"bench{i:02d}")
    assert len(getattr(pm.hook, HOOK).get_hookimpls()) == ENABLED

    # 3. a real app with 10 plugins, 5 of them enabled in one store.
    folder = tmp / "hooks"
    folder.mkdir()
    plugins = [BenchPlugin(i) for i in range(INSTALLED)]
    app = create_app(config(folder, folder / "shopdesk.db"), plugins=plugins, entry_points=[])
    registry = app.extensions["shopdesk"]
    ctx = app.app_context()
    ctx.push()
    try:
        upgrade(app)  # after create_app: records each test plugin's version, so it can be enabled
        store = create_store("bench", "Bench Store")
        for plugin in plugins[:ENABLED]:
            enable_plugin(registry, store, plugin.manifest.name)
        db.session.commit()
        store.plugins_version  # load the expired attributes once, as a request's query would
        view = registry.for_store(store)
        caller = getattr(view, HOOK)
        assert sorted(view.enabled) == [p.manifest.name for p in plugins[:ENABLED]]
        assert len(caller.get_hookimpls()) == ENABLED
        assert len(getattr(registry.pm.hook, HOOK).get_hookimpls()) == INSTALLED

        # Diagnostics: the same 5 implementations with the subset already computed, called
        # through pluggy's own executor (what a cached per-version impl list would cost).
        subset_impls = caller.get_hookimpls()
        hookexec = registry.pm._hookexec
        proto_views: dict = {}
        proto_caller = getattr(prototype_for_store(registry, store, proto_views), HOOK)
        assert proto_caller.get_hookimpls() == subset_impls
        minimal_views: dict = {}
        minimal_caller = getattr(prototype_for_store(registry, store, minimal_views, MinimalPrototypeView), HOOK)
        assert minimal_caller.get_hookimpls() == subset_impls
        assert minimal_caller(cli=cli) == getattr(view, HOOK)(cli=cli)

        namespace = dict(proto_for_store=prototype_for_store, proto_views=proto_views,
                         minimal_views=minimal_views, Minimal=MinimalPrototypeView,
                         functions=functions, cli=cli, pm=pm, registry=registry, store=store,
                         view=view, hook_name=HOOK, subset_impls=subset_impls, hookexec=hookexec)
        cases = {
            "baseline": "for f in functions: f(cli)",
            "plain": f"pm.hook.{HOOK}(cli=cli)",
            "store": f"registry.for_store(store).{HOOK}(cli=cli)",
            # breakdown of the per-store call
            "for_store": "registry.for_store(store)",
            "view_call": f"view.{HOOK}(cli=cli)",
            "cached_impls": "hookexec(hook_name, subset_impls.copy(), {'cli': cli}, False)",
            # the suggested change, end to end
            "prototype": f"proto_for_store(registry, store, proto_views).{HOOK}(cli=cli)",
            "minimal": f"proto_for_store(registry, store, minimal_views, Minimal).{HOOK}(cli=cli)",
        }
        samples = interleaved(cases, namespace)
        assert registry.for_store(store) is view  # the view stayed cached throughout
    finally:
        db.session.remove()
        db.engine.dispose()
        ctx.pop()
    return samples


# --- 4: start-up ---------------------------------------------------------------------------------


BARE_FLASK = """
import flask
bp = flask.Blueprint("bench", __name__, url_prefix="/bench")

@bp.route("/")
def index():
    return "ok"

app = flask.Flask(__name__)
app.register_blueprint(bp)
"""

CHILD = """
import sys, time
from cryptography.fernet import Fernet
start = time.perf_counter()
{body}
print(time.perf_counter() - start)
"""

SHOPDESK_APP = """
from shopdesk.app import create_app
app = create_app({config!r})
"""


def bare_flask_app():
    namespace: dict = {"__name__": "__main__"}
    exec(BARE_FLASK, namespace)
    return namespace["app"]


def cold_seconds(body: str) -> float:
    """Imports plus app building, timed inside a fresh interpreter (its own boot excluded)."""
    out = subprocess.run([sys.executable, "-c", CHILD.format(body=body)], check=True,
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    return float(out.stdout.strip().splitlines()[-1])


def startup_benchmarks(tmp: Path) -> dict:
    folder = tmp / "startup"
    folder.mkdir()
    cfg = config(folder, folder / "shopdesk.db")
    # Migrate the file once, with every installed plugin (default entry points).
    app = create_app(dict(cfg))
    with app.app_context():
        upgrade(app)
        db.session.remove()
        db.engine.dispose()
    installed = sorted(app.extensions["shopdesk"].plugins)

    def timed_create_app():
        start = time.perf_counter()
        the_app = create_app(dict(cfg))
        elapsed = time.perf_counter() - start
        with the_app.app_context():
            db.engine.dispose()
        return elapsed

    def timed_bare():
        start = time.perf_counter()
        bare_flask_app()
        return time.perf_counter() - start

    warm_app, warm_bare = [], []
    cold_app, cold_bare = [], []
    for _ in range(STARTUP_RUNS):  # interleaved, like the hook calls
        warm_bare.append(min(timed_bare() for _ in range(20)))
        warm_app.append(timed_create_app())
        cold_bare.append(cold_seconds(BARE_FLASK))
        cold_app.append(cold_seconds(SHOPDESK_APP.format(config={
            **cfg, "SHOPDESK_SETTINGS_KEY": cfg["SHOPDESK_SETTINGS_KEY"].decode()})))
    return dict(installed=installed, warm_app=warm_app, warm_bare=warm_bare,
                cold_app=cold_app, cold_bare=cold_bare)


# --- report ------------------------------------------------------------------------------------


def main():
    with tempfile.TemporaryDirectory(prefix="shopdesk-bench-") as name:
        tmp = Path(name)
        hooks = hook_call_benchmarks(tmp)
        startup = startup_benchmarks(tmp)

    best = {k: min(v) for k, v in hooks.items()}
    ratio = best["store"] / best["plain"]
    print(f"python {sys.version.split()[0]}, pluggy {pluggy.__version__}, {os.cpu_count()} CPUs; "
          f"hook '{HOOK}', best of {ROUNDS} interleaved rounds")
    print(f"1. baseline: {ENABLED} plain functions in a loop: {fmt_us(best['baseline'])} per call")
    print(f"2. plain pluggy hook, {ENABLED} impls: {fmt_us(best['plain'])} per call "
          f"({best['plain'] / best['baseline']:.2f}x baseline)")
    print(f"3. per-store hook, {INSTALLED} installed / {ENABLED} enabled, with for_store(): "
          f"{fmt_us(best['store'])} per call ({best['store'] / best['baseline']:.2f}x baseline)")
    print(f"   per-store / plain pluggy: {ratio:.2f}x best-of "
          f"(median of per-round ratios {paired_ratio(hooks, 'store', 'plain'):.2f}x; aim <= 1.20x)")
    print(f"   breakdown: for_store() alone {fmt_us(best['for_store'])}; cached view's "
          f"_SubsetHookCaller call {fmt_us(best['view_call'])} "
          f"({best['view_call'] / best['plain']:.2f}x plain); precomputed {ENABLED}-impl list "
          f"through pm._hookexec {fmt_us(best['cached_impls'])} "
          f"({best['cached_impls'] / best['plain']:.2f}x plain)")
    print(f"   prototype A (for_store reading the loaded row + pluggy subset caller with the subset "
          f"computed once): {fmt_us(best['prototype'])} per call, {best['prototype'] / best['plain']:.2f}x "
          f"plain (median of per-round ratios {paired_ratio(hooks, 'prototype', 'plain'):.2f}x)")
    print(f"   prototype B (same, with a minimal caller resolving the spec once): "
          f"{fmt_us(best['minimal'])} per call, {best['minimal'] / best['plain']:.2f}x plain "
          f"(median of per-round ratios {paired_ratio(hooks, 'minimal', 'plain'):.2f}x)")

    med = {k: statistics.median(v) for k, v in startup.items() if k != "installed"}
    installed = ", ".join(startup["installed"]) or "none"
    print(f"4. start-up, create_app() with every installed plugin ({len(startup['installed'])}: "
          f"{installed}), median of {STARTUP_RUNS}:")
    print(f"   fresh process (imports + create_app): {med['cold_app'] * 1e3:.0f} ms vs bare Flask app "
          f"+ 1 blueprint {med['cold_bare'] * 1e3:.0f} ms ({med['cold_app'] / med['cold_bare']:.2f}x)")
    print(f"   in-process, modules already imported: {med['warm_app'] * 1e3:.1f} ms vs bare Flask app "
          f"+ 1 blueprint {med['warm_bare'] * 1e3:.2f} ms ({med['warm_app'] / med['warm_bare']:.0f}x); "
          f"aim < 1000 ms")
    print(f"hooks: ratio {ratio:.2f} (per-store call / plain pluggy call) startup {med['cold_app'] * 1e3:.0f} ms")


if __name__ == "__main__":
    main()

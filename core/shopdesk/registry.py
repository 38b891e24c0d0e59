"""Plugin discovery, metadata, dependencies and per-store hook callers.

Discovery is our own loop over the ``shopdesk.plugins`` entry points rather than pluggy's
``load_setuptools_entrypoints``: each plugin loads inside its own try/except, so one that
fails to import, supports another host version, or has unmet ``requires`` is listed as broken
with its reason while the host starts. Programming errors in hook implementations (an
unknown hook, wrong arguments) are different: they fail start-up, naming plugin and hook.
"""

import difflib
import logging
import os
import time
from dataclasses import dataclass, field
from types import ModuleType
from importlib.metadata import entry_points as _entry_points
from typing import Any, Iterable

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from . import Manifest, __version__, hookspecs
from .declarations import DeclarationError, PluginObject, plugin_object

log = logging.getLogger(__name__)
trace_log = logging.getLogger("shopdesk.plugins.trace")

ENTRY_POINT_GROUP = "shopdesk.plugins"


def hook_executor(pm: pluggy.PluginManager, trace: bool = False):
    """The one function every hook call of the host goes through: ``(hook, impls, kwargs,
    firstresult)`` as pluggy's own callers use it. With ``trace`` (``SHOPDESK_TRACE_PLUGINS=1``)
    each implementation's call is logged with its plugin, hook and time."""
    if not trace:
        return pm._hookexec  # what pluggy's own HookCaller calls: firstresult, order, errors alike

    def traced(hook, impls, kwargs, firstresult):
        results = []
        for impl in reversed(impls):  # pluggy calls the last registered first
            started = time.perf_counter()
            try:
                value = impl.function(*[kwargs[name] for name in impl.argnames])
            finally:
                trace_log.info("plugin %s hook %s %.3f ms", impl.plugin_name, hook,
                               (time.perf_counter() - started) * 1000)
            if value is not None:
                results.append(value)
                if firstresult:
                    return value
        return None if firstresult else results

    return traced


class PluginError(RuntimeError):
    """A plugin bug that must stop start-up: the message names the plugin and the hook."""


@dataclass
class PluginInfo:
    name: str
    label: str = ""
    description: str = ""
    version: str = "0"
    requires: tuple[str, ...] = ()
    host: str = ""
    dist: str | None = None
    obj: Any = None
    error: str | None = None

    @property
    def package(self) -> str | None:
        """Top-level package of the plugin's code: how tables are traced back to it."""
        if self.obj is None:
            return None
        module = self.obj.__name__ if isinstance(self.obj, (ModuleType, PluginObject)) else type(self.obj).__module__
        return module.split(".")[0]


@dataclass
class PluginContext:
    """What a store hook gets: the store, and this plugin's own resolved settings."""

    store: Any
    plugin: str
    settings: dict = field(default_factory=dict)


@dataclass
class HookResult:
    plugin: str
    value: Any = None
    error: BaseException | None = None


# --- discovery -------------------------------------------------------------------------


def _candidate_from_entry_point(ep) -> PluginInfo:
    info = PluginInfo(name=ep.name, dist=ep.dist.name if ep.dist else None)
    if ep.dist is not None:
        info.version = ep.dist.version
    try:
        info.obj = ep.load()
    except Exception as exc:  # any import-time failure makes the plugin broken, not the host
        info.error = f"import failed: {type(exc).__name__}: {exc}"
    return info


def _candidate_from_object(obj) -> PluginInfo:
    manifest = getattr(obj, "manifest", None)
    name = manifest.name if isinstance(manifest, Manifest) else getattr(obj, "__name__", repr(obj))
    return PluginInfo(name=name, obj=obj)


def apply_manifest(info: PluginInfo, host_version: str):
    manifest = getattr(info.obj, "manifest", None)
    if not isinstance(manifest, Manifest):
        info.error = "no manifest: the plugin module must define `manifest = shopdesk.Manifest(...)`"
        return
    if manifest.name != info.name:
        info.error = f"entry point name '{info.name}' differs from manifest name '{manifest.name}'"
        return
    try:
        info.obj = plugin_object(info.obj, manifest)
    except DeclarationError as exc:
        info.error = str(exc)
        return
    info.label, info.description = manifest.label, manifest.description
    info.requires, info.host = tuple(manifest.requires), manifest.host
    if manifest.version:
        info.version = manifest.version
    try:
        supported = SpecifierSet(manifest.host)
    except InvalidSpecifier:
        info.error = f"invalid host version specifier '{manifest.host}'"
        return
    if not supported.contains(Version(host_version), prereleases=True):
        info.error = f"supports host {manifest.host}, this host is {host_version}"


def _mark_duplicates(infos: list[PluginInfo]):
    by_name: dict[str, list[PluginInfo]] = {}
    for info in infos:
        by_name.setdefault(info.name, []).append(info)
    for name, same in by_name.items():
        if len(same) > 1:
            sources = " and ".join(i.dist or repr(i.obj) for i in same)
            for info in same:
                info.error = f"duplicate plugin name '{name}': provided by {sources}"


def _find_cycle(graph: dict[str, tuple[str, ...]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node, path):
        state[node] = 1
        for dep in graph.get(node, ()):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if state.get(dep) is None and (cycle := visit(dep, path + [dep])):
                return cycle
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node) is None and (cycle := visit(node, [node])):
            return cycle
    return None


def _mark_unmet_requires(infos: list[PluginInfo]):
    working = {i.name: i for i in infos if i.error is None}
    while cycle := _find_cycle({n: i.requires for n, i in working.items()}):
        for name in set(cycle):
            working.pop(name).error = f"cyclic requires: {' -> '.join(cycle)}"
    changed = True
    while changed:  # a plugin needing a broken plugin is broken too
        changed = False
        known = {i.name: i for i in infos}
        for name, info in list(working.items()):
            for dep in info.requires:
                if dep not in working:
                    why = "is not installed" if dep not in known else "is broken"
                    info.error = f"requires '{dep}', which {why}"
                    del working[name]
                    changed = True
                    break


def discover(entry_points: Iterable | None = None, objects: Iterable = (),
             host_version: str = __version__) -> list[PluginInfo]:
    """Load every candidate plugin and decide which work; never raises for a bad plugin."""
    if entry_points is None:
        entry_points = _entry_points(group=ENTRY_POINT_GROUP)
    infos = [_candidate_from_entry_point(ep) for ep in entry_points]
    infos += [_candidate_from_object(obj) for obj in objects]
    for info in infos:
        if info.error is None:
            apply_manifest(info, host_version)
    _mark_duplicates(infos)
    _mark_unmet_requires(infos)
    for info in infos:
        if info.error:
            log.warning("plugin %s is broken: %s", info.name, info.error)
    return sorted(infos, key=lambda i: i.name)


def register_checked(pm: pluggy.PluginManager, info: PluginInfo):
    """Register one plugin; a hookimpl that does not match its spec raises PluginError."""
    try:
        pm.register(info.obj, name=info.name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin '{info.name}': " + "; ".join(str(exc).splitlines())) from exc


def add_plugin_hookspecs(pm: pluggy.PluginManager, info: PluginInfo):
    """The hookspecs a plugin publishes for its own extensions (``Manifest(hookspecs=...)``), as
    pytest's ``pytest_addhooks``; a name the host or another plugin already specifies breaks it."""
    specs = getattr(getattr(info.obj, "manifest", None), "hookspecs", None)
    if specs is None:
        return
    names = [n for n in dir(specs) if hasattr(getattr(specs, n), "shopdesk_spec")]
    taken = [n for n in names if getattr(getattr(pm.hook, n, None), "spec", None) is not None]
    if taken:
        info.error = f"publishes hookspec(s) {', '.join(taken)}, which are already specified"
        return
    pm.add_hookspecs(specs)


def check_pending(pm: pluggy.PluginManager):
    """Fail on hookimpls that match no hookspec (usually a misspelt hook name)."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        plugin_name = pm.get_name(exc.plugin) if exc.plugin is not None else "?"
        unknown = [
            name for name, caller in pm.hook.__dict__.items()
            if isinstance(caller, pluggy.HookCaller) and caller.spec is None
            and any(impl.plugin is exc.plugin and not impl.optionalhook for impl in caller.get_hookimpls())
        ]
        hints = []
        for name in unknown:
            specified = [n for n, c in vars(pm.hook).items() if isinstance(c, pluggy.HookCaller) and c.spec]
            close = difflib.get_close_matches(name, specified, n=1)
            hints.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise PluginError(
            f"plugin '{plugin_name}' implements unknown hook {', '.join(hints) or str(exc)}"
        ) from exc


# --- the registry --------------------------------------------------------------------------


class Registry:
    """The application's plugins: what is installed, what works, and per-store hook views."""

    def __init__(self, infos: list[PluginInfo]):
        self.pm = pluggy.PluginManager("shopdesk")
        self.pm.add_hookspecs(hookspecs)
        self.execute = hook_executor(self.pm, trace=os.environ.get("SHOPDESK_TRACE_PLUGINS", "") not in ("", "0"))
        self.plugins: dict[str, PluginInfo] = {}
        for info in infos:
            # A duplicate name keeps the first entry for listing; both carry the error.
            self.plugins.setdefault(info.name, info)
        for info in infos:
            if info.error is None:
                add_plugin_hookspecs(self.pm, info)
        for info in infos:
            if info.error is None:
                register_checked(self.pm, info)
        check_pending(self.pm)
        self.working = frozenset(i.name for i in infos if i.error is None)
        self.settings_schemas: dict[str, type] = {
            r.plugin: r.value for r in self.each("settings_schema") if r.value is not None
        }
        self._store_states: dict[int, _StoreState] = {}
        self.owned_keys = self._collect_owned_keys()

    @classmethod
    def load(cls, entry_points=None, objects=(), host_version=__version__):
        return cls(discover(entry_points, objects, host_version))

    @property
    def broken(self) -> dict[str, str]:
        return {n: i.error for n, i in self.plugins.items() if i.error}

    def require_working(self, name: str) -> PluginInfo:
        from .stores import PluginStateError

        info = self.plugins.get(name)
        if info is None:
            known = difflib.get_close_matches(name, list(self.plugins), n=1)
            hint = f" (did you mean '{known[0]}'?)" if known else ""
            raise PluginStateError(f"no plugin named '{name}' is installed{hint}")
        if info.error:
            raise PluginStateError(f"plugin '{name}' is broken: {info.error}")
        return info

    # -- owners --

    def _spec_marked(self, mark: str) -> list[str]:
        return sorted(name for name, caller in vars(self.pm.hook).items()
                      if isinstance(caller, pluggy.HookCaller) and caller.spec is not None
                      and getattr(caller.spec.function, mark, False))

    @property
    def owner_hooks(self) -> list[str]:
        """Hooks one plugin answers in a store (``@owner`` hookspecs, the plugins' included)."""
        return self._spec_marked("shopdesk_owner")

    def owns(self, plugin: str) -> list[str]:
        """The owner hooks ``plugin`` answers, and the keys it owns (``carrier:ecpay``)."""
        hooks = [h for h in self.owner_hooks
                 if any(i.plugin_name == plugin for i in getattr(self.pm.hook, h).get_hookimpls())]
        keys = [f"{hook}:{key}" for hook, found in sorted(self.owned_keys.get(plugin, {}).items())
                for key in sorted(found)]
        return hooks + keys

    def _collect_owned_keys(self) -> dict[str, dict[str, set]]:
        owned: dict[str, dict[str, set]] = {}
        for hook in self._spec_marked("shopdesk_owner_keys"):
            for result in self.each(hook):
                owned.setdefault(result.plugin, {})[hook] = {str(key) for key in result.value or ()}
        return owned

    def owner_clashes(self, name: str, enabled) -> list[str]:
        """Why ``name`` cannot join the plugins ``enabled`` in a store: an owner hook or an
        owned key that one of them already answers."""
        clashes = []
        mine = set(self.owns(name))
        for other in sorted(set(enabled) & self.working - {name}):
            for what in sorted(mine & set(self.owns(other))):
                clashes.append(f"'{other}' already answers {what!r} there")
        return clashes

    # -- calling hooks --

    def each(self, hook: str, impls=None, *, isolate: bool = False, context=None, **kwargs) -> list[HookResult]:
        """Call every implementation of ``hook`` separately, in plugin-name order.

        Without ``isolate`` the first failure stops the call as a PluginError naming the plugin
        and hook. With ``isolate`` a failure is logged with the plugin's name and returned as
        an error result while the others still run (event-style hooks).
        ``context(plugin)`` builds the per-plugin ``ctx`` argument for store hooks.
        """
        if impls is None:
            impls = getattr(self.pm.hook, hook).get_hookimpls()
        results = []
        for impl in sorted(impls, key=lambda i: i.plugin_name):
            try:
                args = dict(kwargs)
                if context is not None:
                    args["ctx"] = context(impl.plugin_name)
                found = self.execute(hook, [impl], args, False)
                value = found[0] if found else None
            except Exception as exc:
                if not isolate:
                    raise PluginError(f"plugin '{impl.plugin_name}' failed in hook '{hook}': {exc}") from exc
                log.exception("plugin %s failed in hook %s", impl.plugin_name, hook)
                results.append(HookResult(impl.plugin_name, error=exc))
            else:
                results.append(HookResult(impl.plugin_name, value))
        return results

    def call_plugin(self, name: str, hook: str, *, store=None, isolate: bool = False, **kwargs):
        """Call one plugin's implementation of ``hook`` (e.g. ``store_enabled``), if it has one.

        With ``store`` the plugin gets its ``ctx`` for that store. Returns the HookResult or None.
        """
        impls = [i for i in getattr(self.pm.hook, hook).get_hookimpls() if i.plugin_name == name]
        context = (lambda plugin: self.context(store, plugin)) if store is not None else None
        results = self.each(hook, impls, isolate=isolate, context=context, **kwargs)
        return results[0] if results else None

    # -- per store --

    def context(self, store, name: str) -> PluginContext:
        from .stores import resolved_settings

        return PluginContext(store=store, plugin=name, settings=resolved_settings(self, store, name))

    def for_store(self, store) -> "StoreHooks":
        """The store's hooks; the shared part is rebuilt only when ``plugins_version`` moved."""
        state = self._store_states.get(store.id)
        if state is None or state.version != store.plugins_version:
            from .stores import enabled_plugins

            names = frozenset(enabled_plugins(store))
            state = _StoreState(self, store.plugins_version, names & self.working,
                                not_loaded=names - set(self.plugins))
            self._store_states[store.id] = state
        return StoreHooks(self, state, store)

    def migrated_version(self, name: str) -> str | None:
        from .migrate import migrated_versions

        return migrated_versions().get(name)


class StoreHookCaller:
    """pluggy's ``subset_hook_caller`` with the subset computed once, not on every call.

    pluggy's proxy re-filters every implementation on each call (measured at 1.4x a plain
    hook call in bench/hooks.py); a store's plugins only change with ``plugins_version``,
    which builds new callers anyway, and plugins are all registered at start-up.
    """

    __slots__ = ("name", "spec", "_impls", "_hookexec", "_firstresult")

    def __init__(self, registry: "Registry", name: str, removed: list):
        subset = registry.pm.subset_hook_caller(name, removed)
        self.name = name
        self.spec = subset.spec
        self._impls = subset.get_hookimpls()
        self._firstresult = bool(self.spec and self.spec.opts.get("firstresult"))
        self._hookexec = registry.execute

    def __call__(self, **kwargs):
        return self._hookexec(self.name, self._impls, kwargs, self._firstresult)

    def get_hookimpls(self):
        return list(self._impls)


class _StoreState:
    """What every request of one store at one ``plugins_version`` shares (never the Store row)."""

    def __init__(self, registry: Registry, version: int, enabled: frozenset[str],
                 not_loaded: frozenset[str] = frozenset()):
        self.version = version
        self.enabled = enabled
        # Enabled in the store but unknown to this process (installed after it started).
        self.not_loaded = not_loaded
        self.removed = [registry.pm.get_plugin(n) for n in registry.working - enabled]
        self.callers: dict[str, StoreHookCaller] = {}
        self.settings: dict[str, dict] = {}


class StoreHooks:
    """The hooks of one store for one request: only the plugins enabled there take part.

    ``hooks.some_hook(...)`` calls the enabled plugins through pluggy. Store hooks that take
    ``ctx`` go through :meth:`each`, which hands every plugin its own settings.
    """

    def __init__(self, registry: Registry, state: _StoreState, store):
        self.registry = registry
        self.store = store
        self.enabled = state.enabled
        self.not_loaded = state.not_loaded
        self.version = state.version
        self._state = state

    def __getattr__(self, hook: str):
        if hook.startswith("_"):
            raise AttributeError(hook)
        callers = self._state.callers
        caller = callers.get(hook)
        if caller is None:
            caller = callers[hook] = StoreHookCaller(self.registry, hook, self._state.removed)
        self.__dict__[hook] = caller
        return caller

    def context(self, plugin: str) -> PluginContext:
        settings = self._state.settings.get(plugin)
        if settings is None:
            settings = self._state.settings[plugin] = self.registry.context(self.store, plugin).settings
        return PluginContext(store=self.store, plugin=plugin, settings=dict(settings))

    def call(self, plugin: str, hook: str, **kwargs):
        """One enabled plugin's implementation, with its ctx; a failure raises PluginError."""
        impls = [i for i in getattr(self, hook).get_hookimpls() if i.plugin_name == plugin]
        results = self.registry.each(hook, impls, context=self.context, **kwargs)
        return results[0].value if results else None

    def owner(self, hook: str, **kwargs):
        """Call the one enabled plugin that owns ``hook`` (``reserve_stock``, ``price_lines``).

        Returns None when no enabled plugin implements it, so the caller can do without.
        Two owners are refused rather than one picked by registration order. Exceptions
        (``commerce.OutOfStock``, ``ValueError``) reach the caller as raised: the action
        needs the answer, so it fails and rolls back.
        """
        impls = getattr(self, hook).get_hookimpls()
        if len(impls) > 1:
            names = " and ".join(sorted(i.plugin_name for i in impls))
            raise PluginError(f"plugins {names} both answer '{hook}' in this store: enable only one")
        if not impls:
            return None
        args = dict(kwargs, ctx=self.context(impls[0].plugin_name))
        return self.registry.execute(hook, impls[:1], args, True)

    def owns(self, hook: str) -> bool:
        """Whether an enabled plugin answers ``hook`` in this store."""
        return bool(getattr(self, hook).get_hookimpls())

    def each(self, hook: str, *, isolate: bool = True, **kwargs) -> list[HookResult]:
        impls = getattr(self, hook).get_hookimpls()
        needs_ctx = any("ctx" in i.argnames for i in impls)
        return self.registry.each(hook, impls, isolate=isolate,
                                  context=self.context if needs_ctx else None, **kwargs)

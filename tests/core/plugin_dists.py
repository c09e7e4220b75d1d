"""Throw-away plugin packages installed through REAL entry points, for the loader, CLI and migration tests.

Each plugin is a package in a folder prepended to ``sys.path`` next to a fake distribution
(``<dist>-0.1.dist-info/`` with ``METADATA`` and ``entry_points.txt``), so stevedore and ``importlib.metadata``
find it exactly as they find a pip-installed plugin.

Caches that would otherwise leak entry points between tests are reset per test:

* ``stevedore.ExtensionManager.ENTRY_POINT_CACHE`` is a class attribute keyed by the namespace only, so
  the first test to list ``officium.plugins`` would fix the list for the whole process;
* ``stevedore._cache._c`` keeps an in-memory copy keyed by ``sys.path`` and a copy on disk in a folder
  chosen at import time (``XDG_CACHE_HOME`` is read once, so setting it in a test has no effect); it
  is pointed at the test's own folder so that nothing is written to the home directory;
* ``importlib.invalidate_caches()`` makes the path finders and ``importlib.metadata`` look again.

Package names carry a random suffix so that a module imported by one test is never reused by another.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import stevedore._cache
from stevedore import ExtensionManager

DEFAULT_HOOKS = "from officium import hookimpl  # noqa: F401\n"


def plugin_init(
    name: str,
    *,
    requires: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    prelude: str = "",
) -> str:
    """The text of a plugin package's ``__init__.py`` declaring ``PLUGIN``."""
    return (
        f"{prelude}"
        "from officium import PluginInfo\n"
        f"PLUGIN = PluginInfo(name={name!r}, title={name!r}, area='政务管理', "
        f"requires={requires!r}, optional={optional!r})\n"
    )


class PluginDists:
    """Creates installed-looking plugin packages under one folder on ``sys.path``."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.root.mkdir(parents=True)
        self.packages: dict[str, str] = {}
        self._monkeypatch = monkeypatch
        monkeypatch.setattr(stevedore._cache._c, "_dir", str(root.parent / "entry-point-cache"))
        monkeypatch.syspath_prepend(str(root))
        self.refresh()

    def refresh(self) -> None:
        """Forget every cached list of entry points and directory listing."""
        self._monkeypatch.setattr(ExtensionManager, "ENTRY_POINT_CACHE", {})
        self._monkeypatch.setattr(stevedore._cache._c, "_internal", {})
        importlib.invalidate_caches()

    def add(
        self,
        name: str,
        *,
        init: str | None = None,
        hooks: str | None = DEFAULT_HOOKS,
        files: dict[str, str] | None = None,
        entry_name: str | None = None,
        requires: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
    ) -> str:
        """Install plugin ``name``; return its package (module) name.

        ``init`` replaces the generated ``__init__.py``; ``hooks=None`` leaves out ``hooks.py``; ``files``
        adds more files (relative paths inside the package); ``entry_name`` names the entry point
        differently from the plugin.
        """
        package = f"ofm_{name}_{uuid.uuid4().hex[:10]}"
        folder = self.root / package
        folder.mkdir()
        text = init if init is not None else plugin_init(name, requires=requires, optional=optional)
        (folder / "__init__.py").write_text(textwrap.dedent(text), encoding="utf-8")
        if hooks is not None:
            (folder / "hooks.py").write_text(textwrap.dedent(hooks), encoding="utf-8")
        for relative, content in (files or {}).items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(content), encoding="utf-8")
        dist = f"ofm_test_{package}"
        info = self.root / f"{dist}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(
            f"[officium.plugins]\n{entry_name or name} = {package}\n", encoding="utf-8"
        )
        self.packages[name] = package
        self.refresh()
        return package

    def directory(self, name: str) -> Path:
        """The package folder of plugin ``name``."""
        return self.root / self.packages[name]

    def forget_modules(self) -> None:
        """Drop the test packages from ``sys.modules``."""
        prefixes = tuple(self.packages.values())
        for module in [m for m in sys.modules if m.split(".")[0] in prefixes]:
            del sys.modules[module]


def write_site(site_dir: Path, enabled: list[str], database_url: str = "sqlite:///data/officium.db") -> Path:
    """Write an officium.toml enabling ``enabled``; return the site folder."""
    from officium.core.config import write_config

    write_config(site_dir, database_url=database_url, enabled_plugins=enabled)
    return site_dir


def track_apps(monkeypatch: pytest.MonkeyPatch) -> list:
    """Record every app the CLI builds (it keeps none), so that a test can close their databases after."""
    import officium.core.app
    import officium.core.bootstrap

    made: list = []
    real = officium.core.app.create_app

    def recording(*args, **kwargs):
        app = real(*args, **kwargs)
        made.append(app)
        return app

    monkeypatch.setattr(officium.core.app, "create_app", recording)
    monkeypatch.setattr(officium.core.bootstrap, "create_app", recording)
    return made


def close_apps(apps: list) -> None:
    """Close the databases of apps recorded by :func:`track_apps`."""
    for app in apps:
        if app.db is not None:
            app.db.close_all() if hasattr(app.db, "close_all") else app.db.close()

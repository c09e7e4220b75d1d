"""Keep the hook surface honest: every hook is documented with its exact arguments and has a test."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pluggy
import pytest

import officium.plugins
from officium.core import hookspecs

ROOT = Path(__file__).resolve().parents[2]
HEADING = re.compile(r"^## (\w+)\((.*)\)$", re.MULTILINE)


def spec_arguments() -> dict[str, list[str]]:
    pm = pluggy.PluginManager("officium")
    pm.add_hookspecs(hookspecs)
    return {
        name: list(getattr(pm.hook, name).spec.argnames) for name in dir(pm.hook) if not name.startswith("_")
    }


SPECS = spec_arguments()


def test_there_are_hooks():
    assert "register_routes" in SPECS and len(SPECS) >= 10


@pytest.mark.parametrize("hook", sorted(SPECS))
def test_hook_is_documented_with_its_arguments(hook):
    documented = {
        name: [a.strip() for a in args.split(",") if a.strip()]
        for name, args in HEADING.findall((ROOT / "docs" / "hooks.md").read_text(encoding="utf-8"))
    }
    assert hook in documented, f"docs/hooks.md has no '## {hook}(...)' heading"
    assert documented[hook] == SPECS[hook], f"docs/hooks.md documents {hook}{tuple(documented[hook])}"


def test_docs_name_no_hook_that_does_not_exist():
    documented = {
        name for name, _ in HEADING.findall((ROOT / "docs" / "hooks.md").read_text(encoding="utf-8"))
    }
    assert documented - set(SPECS) == set()


def test_every_hook_has_a_test():
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    missing = [hook for hook in SPECS if f"test_hook_{hook}" not in names]
    assert missing == [], f"hooks without a test_hook_<name> test: {missing}"


def test_every_hookspec_has_a_docstring():
    undocumented = [name for name in SPECS if not (getattr(hookspecs, name).__doc__ or "").strip()]
    assert undocumented == []


def first_party_hook_modules():
    yield importlib.import_module("officium.core.hooks")
    for info in pkgutil.iter_modules(officium.plugins.__path__, "officium.plugins."):
        yield importlib.import_module(f"{info.name}.hooks")


def test_first_party_hookimpls_take_no_default_arguments():
    # pluggy never passes an argument that has a default value (pluggy#442): the default always wins.
    offenders = []
    for module in first_party_hook_modules():
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if hasattr(func, "officium_impl"):
                params = inspect.signature(func).parameters.values()
                if any(p.default is not inspect.Parameter.empty for p in params):
                    offenders.append(f"{module.__name__}.{name}")
                if name not in SPECS:
                    offenders.append(f"{module.__name__}.{name} (no such hook)")
    assert offenders == []

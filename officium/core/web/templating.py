"""The Jinja2 environment: site overrides, then plugins, then core; ``core:`` reaches core's own files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape
from markupsafe import Markup

import officium

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

CORE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def build_environment(app: OfficiumApp) -> Environment:
    """Build the environment every page renders with.

    A template name such as ``leave/list.html`` is looked up in the site's ``templates/`` folder first,
    then in each plugin's ``templates/`` (a plugin after those it depends on wins), then in core.  The
    prefixes ``core:`` and ``<plugin>:`` name one package's own file, so an override can still extend the
    original: ``{% extends "core:core/base.html" %}``.
    """
    plugin_dirs = {
        p.name: p.directory / "templates"
        for p in app.plugins
        if p.directory is not None and (p.directory / "templates").is_dir() and p.name != "core"
    }
    search = [str(d) for d in reversed(plugin_dirs.values())]
    site_dir = app.config.site_dir / "templates"
    if site_dir.is_dir():
        search.insert(0, str(site_dir))
    search.append(str(CORE_TEMPLATES))
    prefixes = {name: FileSystemLoader(str(d)) for name, d in plugin_dirs.items()}
    prefixes["core"] = FileSystemLoader(str(CORE_TEMPLATES))
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(search), PrefixLoader(prefixes, delimiter=":")]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def url(name: str, **params: Any) -> str:
        return str(app.asgi().router.url_path_for(name, **params))

    def static(plugin: str, path: str) -> str:
        return f"/static/{plugin}/{path}?v={officium.__version__}"

    env.globals.update(url=url, static=static, version=officium.__version__, site_name=app.config.site_name)
    env.filters["datetime"] = lambda value: value.strftime("%Y-%m-%d %H:%M") if value else ""
    env.globals["Markup"] = Markup
    return env

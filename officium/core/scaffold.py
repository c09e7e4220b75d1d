"""``officium plugins new``: write an installable third-party plugin package from template files.

The templates live in ``officium/core/scaffold/`` (shipped as package data).  They are filled with
:class:`string.Template` (``${name}`` placeholders), not Jinja, because the page templates they produce are
Jinja themselves.  ``$`` never occurs in them otherwise; a stray one makes :func:`create_plugin` fail loudly.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from string import Template

from officium.core.loader import RESERVED_NAMES
from officium.core.plugin_info import AREAS, NAME_PATTERN

TEMPLATE_DIR = Path(__file__).resolve().parent / "scaffold"

#: ``(template file under TEMPLATE_DIR, path of the file written inside the new project folder)``; both
#: are filled with the same placeholders.
FILES: tuple[tuple[str, str], ...] = (
    ("pyproject.toml.tmpl", "pyproject.toml"),
    ("README.md.tmpl", "README.md"),
    ("package/__init__.py.tmpl", "${package}/__init__.py"),
    ("package/hooks.py.tmpl", "${package}/hooks.py"),
    ("package/models.py.tmpl", "${package}/models.py"),
    ("package/routes.py.tmpl", "${package}/routes.py"),
    ("package/migrations/0001_initial.py.tmpl", "${package}/migrations/0001_initial.py"),
    ("package/templates/index.html.tmpl", "${package}/templates/${name}/index.html"),
    ("package/static/plugin.css.tmpl", "${package}/static/${name}.css"),
    ("tests/test_plugin.py.tmpl", "tests/test_${name}.py"),
)

TITLE_MAX = 50


class ScaffoldError(ValueError):
    """The plugin cannot be created; the message says why, in Chinese."""


def names_for(name: str) -> tuple[str, str]:
    """``(distribution, import package)`` of a plugin: ``officium-meeting-room``, ``officium_meeting_room``."""
    return f"officium-{name.replace('_', '-')}", f"officium_{name}"


def validate(name: str, title: str, area: str) -> None:
    """Refuse a name, title or functional area the site would refuse when the plugin is enabled."""
    if not NAME_PATTERN.match(name):
        raise ScaffoldError(
            f"插件名 {name!r} 不合法：只能用小写字母、数字和下划线，并以字母开头，例如 meeting_room。"
        )
    if name.endswith("_"):
        raise ScaffoldError(
            f"插件名 {name} 不能以下划线结尾：它对应的发行包名 {names_for(name)[0]} 不是合法的包名。"
        )
    if name in RESERVED_NAMES:
        raise ScaffoldError(
            f"插件名 {name} 是系统保留名（{'、'.join(sorted(RESERVED_NAMES))}），请换一个名字。"
        )
    if not title.strip() or any(ch < " " for ch in title) or len(title) > TITLE_MAX:
        raise ScaffoldError(f"插件的中文名称 {title!r} 不合法：不能为空、不能含换行，最多 {TITLE_MAX} 个字。")
    if area not in AREAS:
        raise ScaffoldError(f"功能区 {area!r} 不合法，应为 {'、'.join(AREAS)} 之一。")


def _literal(text: str) -> str:
    # A JSON string is also a valid Python and TOML string literal (same escapes, double quotes).
    return json.dumps(text, ensure_ascii=False)


def placeholders(name: str, title: str, area: str) -> dict[str, str]:
    """The values the templates are filled with."""
    dist, package = names_for(name)
    return {
        "name": name,
        "dist": dist,
        "package": package,
        "title": title,
        "title_literal": _literal(title),
        "area_literal": _literal(area),
        "description_literal": _literal(f"Officium 插件：{title}"),
    }


def create_plugin(name: str, parent_dir: Path, *, title: str, area: str) -> Path:
    """Write the project ``parent_dir/officium-<name>`` and return that folder.

    Nothing is left behind when it fails: the files are written to a temporary folder beside the target,
    which is renamed into place only when complete.
    """
    title = title.strip()
    validate(name, title, area)
    values = placeholders(name, title, area)
    parent = Path(parent_dir)
    target = parent / values["dist"]
    exists = f"目录 {target} 已存在。为免覆盖，请换一个插件名，或先移走该目录。"
    if target.exists():
        raise ScaffoldError(exists)
    staging = parent / f".{values['dist']}-{uuid.uuid4().hex[:8]}.tmp"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()  # honours the umask, unlike tempfile.mkdtemp's 0700
        for source, destination in FILES:
            text = (TEMPLATE_DIR / source).read_text(encoding="utf-8")
            out = staging / Template(destination).substitute(values)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(Template(text).substitute(values), encoding="utf-8")
        os.rename(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ScaffoldError(exists if target.exists() else f"无法在 {parent} 中创建插件：{exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target

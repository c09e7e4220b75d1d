"""Start-up stays light: building the app with every first-party plugin does not import the libraries
that only some requests need (PDF, spreadsheets, images, signatures, pinyin).

Each of them costs megabytes in every worker (fpdf with fontTools ~20 MiB, openpyxl ~8 MiB, the
cryptography bindings ~6 MiB, pypinyin ~55 MiB), so they are imported where they are used.  The check
runs in a fresh interpreter: this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

#: Modules that must not be loaded by ``create_app(...).asgi()``.  ``cryptography`` itself is imported
#: (cheaply) by redis through huey; its compiled bindings are what costs memory.
LAZY = (
    "fpdf",
    "fontTools",
    "openpyxl",
    "PIL",
    "pypdf",
    "segno",
    "pypinyin",
    "cryptography.fernet",
    "cryptography.hazmat.bindings._rust",
)

ALL_PLUGINS = [
    "attendance",
    "bulletin",
    "change_requests",
    "delegation",
    "docs_incoming",
    "docs_outgoing",
    "leave",
    "mail",
    "profile",
    "seals",
    "search",
    "shortcuts",
]

SCRIPT = """
import json, sys
from officium.core.app import create_app
from officium.core.config import SiteConfig

create_app(SiteConfig.load(sys.argv[1]), check_schema=False).asgi()
print(json.dumps(sorted(name for name in json.loads(sys.argv[2]) if name in sys.modules)))
"""


def test_building_the_app_imports_none_of_the_lazy_modules(site_factory):
    app = site_factory(plugins=ALL_PLUGINS)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(app.config.site_dir), json.dumps(LAZY)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []

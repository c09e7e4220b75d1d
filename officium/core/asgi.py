"""Entry for uvicorn workers: each worker process builds its own app from ``OFFICIUM_SITE``."""

from __future__ import annotations

import os

from starlette.types import ASGIApp

from officium.core.app import create_app
from officium.core.config import SiteConfig


def create_from_env() -> ASGIApp:
    """Build the ASGI application of the site named by the ``OFFICIUM_SITE`` environment variable."""
    return create_app(SiteConfig.load(os.environ.get("OFFICIUM_SITE", "."))).asgi()

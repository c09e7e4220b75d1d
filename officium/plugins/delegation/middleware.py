"""Applying due delegation starts and ends before a request is handled, so that no job is needed.

A delegation that starts or ends while nobody acts changes nothing until somebody does; every action
arrives as a request, and this middleware brings the work items up to date first.  The check (one indexed
query when nothing is due) runs at most once a second in each process (``service.SYNC_INTERVAL``), so a
request sees a start or end at most a second late, and most requests run no query for it at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from officium.plugins.delegation import service

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp


class SyncDelegations:
    """Pure ASGI middleware calling :func:`service.sync_if_due` (throttled) before each HTTP request
    (not static files)."""

    def __init__(self, asgi: ASGIApp, officium_app: OfficiumApp) -> None:
        self.asgi = asgi
        self.officium_app = officium_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("path", "").startswith("/static/"):
            service.sync_if_due(self.officium_app)
        await self.asgi(scope, receive, send)

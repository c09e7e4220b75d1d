"""Building the Starlette application from what the plugins declared, before it ever starts."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from officium.core.errors import StartupError
from officium.core.web.errors import install_handlers
from officium.core.web.routing import build_route

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp


class SecurityHeaders:
    """Adds the headers every answer carries: no sniffing, no framing, only our own scripts and styles."""

    HEADERS: ClassVar[list[tuple[bytes, bytes]]] = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
    ]

    def __init__(self, asgi: ASGIApp) -> None:
        self.asgi = asgi

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.asgi(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(h for h in self.HEADERS if h[0] not in names),
                ]
            await send(message)

        await self.asgi(scope, receive, send_with_headers)


async def _await_me_maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _slash_redirect(name: str):
    async def endpoint(request: Request) -> RedirectResponse:
        return RedirectResponse(f"/{name}/", status_code=308)

    return endpoint


def collect_routes(app: OfficiumApp) -> list[BaseRoute]:
    """All mounts: the API of each plugin, static folders, plugin pages, then core pages at ``/``."""
    from officium.core.web.openapi import openapi_route

    routes: list[BaseRoute] = [openapi_route(app)]
    for plugin in app.plugins:
        apis = app.registry.apis.get(plugin.name, [])
        if apis:
            inner = [build_route(app, plugin.name, api) for api in apis]
            routes.append(Mount(f"/api/v1/{plugin.name}", routes=inner, name=f"api.{plugin.name}"))
    for plugin in app.plugins:
        if plugin.directory is not None and (plugin.directory / "static").is_dir():
            files = StaticFiles(directory=plugin.directory / "static")
            routes.append(Mount(f"/static/{plugin.name}", app=files, name=f"static.{plugin.name}"))
    core_pages: list[BaseRoute] = []
    for plugin in app.plugins:
        inner = [build_route(app, plugin.name, page) for page in app.registry.pages.get(plugin.name, [])]
        if plugin.name == "core":
            core_pages = inner
        elif inner:
            routes.append(Route(f"/{plugin.name}", _slash_redirect(plugin.name), include_in_schema=False))
            routes.append(Mount(f"/{plugin.name}", routes=inner, name=plugin.name))
    # Mounted last: an empty prefix matches every path, so it must not shadow the plugins.
    routes.append(Mount("", routes=core_pages, name="core"))
    return routes


class _Application(Starlette):
    """Starlette with the security headers outside everything, so that even a 500 answer carries them."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def build_asgi(app: OfficiumApp) -> Starlette:
    """The ASGI application.  Middleware and routes are fixed here; start-up hooks run in the lifespan."""
    extra: list[Middleware] = []
    for group in app.hook.register_middleware(app=app):
        for item in group or []:
            if not isinstance(item, Middleware):
                raise StartupError(
                    f"register_middleware 返回了 {item!r}，应为 starlette.middleware.Middleware。"
                )
            extra.append(item)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        for result in app.hook.startup(app=app):
            await _await_me_maybe(result)
        try:
            yield
        finally:
            for result in app.hook.shutdown(app=app):
                await _await_me_maybe(result)

    starlette = _Application(
        routes=collect_routes(app),
        middleware=extra,
        exception_handlers=install_handlers(app),
        lifespan=lifespan,
    )
    starlette.state.officium = app  # lets test helpers reach the site from a client
    return starlette

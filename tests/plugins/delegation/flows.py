"""Small workflow plugins for the delegation tests, and API callers with bearer tokens."""

from __future__ import annotations

import itertools
from typing import Any

from starlette.testclient import TestClient

from officium import AUTHENTICATED, Api, hookimpl
from officium.core.db import write_transaction
from officium.core.identity.models import User
from officium.core.identity.tokens import issue_token
from officium.core.web.api import ApiError
from officium.core.workflow import engine
from officium.core.workflow.definition import Step, Workflow, chosen
from officium.core.workflow.models import WorkItem
from officium.testing import make_plugin

FLOW = Workflow("handle", "办理", steps=(Step("handle", "办理", chosen(), mode="all"),))
_numbers = itertools.count(1)


def flow_plugin(name: str, title: str) -> Any:
    """A plugin with workflow ``<name>.handle`` and two API routes: start a document, approve an item."""

    def start(request):
        app = request.state.app
        data = request.state.json or {}
        to = data.get("to", [])
        people = sorted(User.select().where(User.username.in_(to)), key=lambda u: to.index(u.username))
        number = next(_numbers)
        try:
            instance = engine.start(
                app,
                f"{name}.handle",
                object_type="doc",
                object_id=number,
                title=data.get("title", f"{title}第{number}号"),
                url=f"/{name}/{number}",
                drafter=request.state.user,
                chosen=people,
                request=request,
            )
        except engine.WorkflowError as exc:
            raise ApiError(400, "invalid", exc.message) from exc
        return {"instance": instance.id, "items": [i.id for i in instance.items.order_by(WorkItem.id)]}

    def approve(request):
        data = request.state.json or {}
        try:
            engine.approve(
                request.state.app,
                request.path_params["id"],
                request.state.user,
                opinion=data.get("opinion", "同意。"),
                request=request,
            )
        except engine.Conflict as exc:
            raise ApiError(409, "conflict", exc.message) from exc
        except engine.WorkflowError as exc:
            raise ApiError(400, "invalid", exc.message) from exc
        return {"ok": True}

    class Hooks:
        @hookimpl
        def register_workflows(self, app):
            return [FLOW]

        @hookimpl
        def register_routes(self, app):
            return [
                Api("/start", start, "start", AUTHENTICATED, methods=("POST",)),
                Api("/items/{id:int}/approve", approve, "approve", AUTHENTICATED, methods=("POST",)),
            ]

    return make_plugin(name, Hooks(), title=title)


def flow_plugins() -> list[Any]:
    return [flow_plugin("docs", "局发文"), flow_plugin("leave", "休假管理"), flow_plugin("seals", "电子印章")]


class As:
    """API calls as one user, with a bearer token (no session, no CSRF token needed)."""

    def __init__(self, client: TestClient, app: Any, user: User) -> None:
        self.client = client
        with write_transaction(app.db):
            self.token = issue_token(user, "test", app.clock())

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kwargs: Any):
        return self.client.get(path, headers=self._headers(), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any):
        return self.client.post(path, json=json if json is not None else {}, headers=self._headers(), **kwargs)


def item(item_id: int) -> WorkItem:
    return WorkItem.get_by_id(item_id)

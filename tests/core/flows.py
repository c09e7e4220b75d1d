"""A test module that routes documents: a workflow of each step mode, a page to start a document and the
document's page showing the workflow panel — what a real module (发文, 休假, ...) does, in a few lines.

    app = site_factory(extra_plugins=[flows.make_plugin()])
    people = flows.staff(app)                      # the users the workflows name, in one unit
    instance = flows.start(app, "single", people["writer"])

Documents have no table of their own here: the object id is a counter, the title comes from the form.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from jinja2 import ChoiceLoader, DictLoader
from starlette.requests import Request
from starlette.responses import Response

from officium import AUTHENTICATED, Page, hookimpl
from officium.core.db import write_transaction
from officium.core.identity.models import User
from officium.core.workflow import engine
from officium.core.workflow.definition import Step, Workflow, chosen, role, unit_leader, users
from officium.core.workflow.engine import WorkflowError
from officium.core.workflow.models import Instance
from officium.core.workflow.panel import panel_context, require_visible
from officium.testing import add_unit, add_user, app_client, login
from officium.testing import make_plugin as _make_plugin

NAME = "flows"

#: One workflow per step mode, plus a chosen next handler and a condition.
WORKFLOWS = [
    Workflow(
        "single",
        "单人审批",
        steps=(
            Step("review", "负责人审核", unit_leader(), days=2),
            Step("office", "办公室办理", role("clerk"), days=1),
        ),
    ),
    Workflow(
        "any",
        "任一人办理",
        steps=(
            Step("pick", "任一人审核", users("ren1", "ren2", "ren3"), mode="any", days=1),
            Step("final", "负责人签发", unit_leader()),
        ),
    ),
    Workflow(
        "all",
        "并行会签",
        steps=(
            Step("sign", "会签", users("hui1", "hui2", "hui3"), mode="all", days=3),
            Step("final", "负责人签发", unit_leader()),
        ),
    ),
    Workflow(
        "sequence",
        "顺序会签",
        steps=(
            Step("sign", "顺序会签", users("hui1", "hui2", "hui3"), mode="sequence"),
            Step("final", "负责人签发", unit_leader()),
        ),
    ),
    Workflow(
        "chosen",
        "指定承办人",
        steps=(
            Step("review", "负责人审核", unit_leader()),
            Step("handle", "承办", chosen(users("ren1", "ren2", "ren3"))),
            Step("check", "任意人复核", chosen()),
        ),
    ),
    Workflow(
        "big",
        "金额审批",
        steps=(
            Step("review", "负责人审核", unit_leader()),
            Step("boss", "局领导审批", users("boss"), when=lambda f: f.get("amount", 0) > 10000),
        ),
    ),
]

#: username → (name, roles) of the people the workflows name; all in one unit, 办公室.
STAFF = {
    "writer": ("拟稿人", ["clerk"]),
    "leader": ("主任", ["leader"]),
    "clerk": ("文书", ["clerk"]),
    "ren1": ("任一", []),
    "ren2": ("任二", []),
    "ren3": ("任三", []),
    "hui1": ("会一", []),
    "hui2": ("会二", []),
    "hui3": ("会三", []),
    "boss": ("局长", []),
    "other": ("无关人员", []),
    "monitor": ("流程管理员", ["workflow_admin"]),
}

DOC_TEMPLATE = """{% extends "core/base.html" %}
{% from "core/workflow_panel.html" import workflow_panel %}
{% block title %}{{ panel.title }}{% endblock %}
{% block content %}
<h1>{{ panel.title }}</h1>
<p data-testid="doc-body">文件正文 {{ object_id }}</p>
{{ workflow_panel(panel) }}
{% endblock %}
"""

START_TEMPLATE = """{% extends "core/base.html" %}
{% from "core/kit.html" import field, select, person_picker %}
{% block title %}新建文件{% endblock %}
{% block content %}
<h1>新建文件</h1>
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="/flows/" class="form">
  {{ csrf_field }}
  {{ field("title", "标题", required=true) }}
  {{ select("workflow", "流程", workflows, value="single") }}
  <button type="submit" class="primary">提交</button>
</form>
{% endblock %}
"""

_ids = itertools.count(1)


def doc_url(object_id: object) -> str:
    return f"/flows/doc/{object_id}"


def start(app: Any, workflow: str, drafter: User, *, title: str = "", **kwargs: Any) -> Instance:
    """Start a document on ``flows.<workflow>`` outside a request (a test's set-up)."""
    object_id = next(_ids)
    with write_transaction(app.db):
        return engine.start(
            app,
            f"{NAME}.{workflow}",
            object_type="doc",
            object_id=object_id,
            title=title or f"{workflow} 测试文件 {object_id}",
            url=doc_url(object_id),
            drafter=drafter,
            **kwargs,
        )


def start_page(request: Request) -> Response:
    """新建文件: what a module's form does — save the document, then submit it into its workflow."""
    from officium.core.web.views import form_value, redirect, render

    app = request.state.app
    options = [(w.name, w.title) for w in WORKFLOWS]
    if request.method == "GET":
        return render(request, "flows/start.html", workflows=options, error="")
    object_id = next(_ids)
    try:
        engine.start(
            app,
            f"{NAME}.{form_value(request, 'workflow') or 'single'}",
            object_type="doc",
            object_id=object_id,
            title=form_value(request, "title") or "无标题",
            url=doc_url(object_id),
            drafter=request.state.user,
            request=request,
        )
    except WorkflowError as exc:
        return render(request, "flows/start.html", status_code=400, workflows=options, error=exc.message)
    return redirect(doc_url(object_id))


def doc_page(request: Request) -> Response:
    """The document's page: its content, then the workflow panel (404 for people it does not concern)."""
    from officium.core.web.views import render

    object_id = request.path_params["object_id"]
    instance = require_visible(request, engine.instance_for(NAME, "doc", object_id))
    return render(request, "flows/doc.html", panel=panel_context(request, instance), object_id=object_id)


class Hooks:
    @hookimpl
    def register_workflows(self, app):
        return WORKFLOWS

    @hookimpl
    def register_routes(self, app):
        return [
            Page("/", start_page, "start", AUTHENTICATED, methods=("GET", "POST")),
            Page("/doc/{object_id}", doc_page, "doc", AUTHENTICATED),
        ]

    @hookimpl
    def prepare_jinja2_environment(self, env, app):
        # a test plugin has no folder: its two templates are kept in memory
        env.loader = ChoiceLoader(
            [DictLoader({"flows/doc.html": DOC_TEMPLATE, "flows/start.html": START_TEMPLATE}), env.loader]
        )


def make_plugin():
    """The ``flows`` test plugin (pass it in ``extra_plugins``)."""
    return _make_plugin(NAME, Hooks(), title="测试流程", area="公文处理")


def staff(app: Any, extra: dict[str, tuple[str, list[str]]] | None = None) -> dict[str, User]:
    """Create the unit 办公室 and the people of :data:`STAFF` (plus ``extra``); return them by username."""
    office = add_unit(app, "BGS", "办公室")
    return {
        username: add_user(app, username, name=name, unit=office, roles=roles)
        for username, (name, roles) in {**STAFF, **(extra or {})}.items()
    }


# --------------------------------------------------------------------------------- signed-in clients


@dataclass
class Browser:
    """A signed-in test client with its CSRF token: ``post`` a page form, ``api`` a JSON call."""

    client: Any
    token: str
    username: str

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, **data: Any) -> Any:
        return self.client.post(url, data={**data, "csrf_token": self.token}, follow_redirects=False)

    def api(self, path: str, body: Any = None) -> Any:
        return self.client.post(f"/api/v1/core{path}", json=body or {}, headers={"X-CSRF-Token": self.token})

    def api_get(self, path: str) -> Any:
        return self.client.get(f"/api/v1/core{path}")


@contextmanager
def signed_in(app: Any, username: str) -> Iterator[Browser]:
    """A client of ``app`` signed in as ``username``."""
    with app_client(app) as client:
        yield Browser(client, login(client, username), username)


_ACTION = re.compile(r'<form method="post" action="(/workflow/[^"]+)"')


def form_actions(html: str) -> set[str]:
    """The workflow actions a page offers, as the last part of each form's URL (approve, return, ...)."""
    return {url.rstrip("/").rsplit("/", 1)[-1] for url in _ACTION.findall(html)}

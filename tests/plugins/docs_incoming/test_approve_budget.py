"""One approval through the API stays cheap: the SQL statements of ``POST /api/v1/core/workflow/items/{id}/
approve`` with an API token (what make bench's approvers send) stay within a budget.

The approve action is the busiest write of a site: every statement of it is built and run while the
database's single write lock is held.  These two ran 31 and 75 statements.  A failure prints the
statements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from peewee import PostgresqlDatabase

from officium.core.identity.models import User
from officium.core.identity.tokens import issue_token
from officium.core.workflow.models import Instance, WorkItem
from officium.testing import app_client

from .test_api import API, api, body, item_id

#: 领导批示 by one of two leaders (the step waits for the other): the token and the request base (3), the
#: action (the item and its document, the lock, closing the item, the log and the audit entry, the step's
#: other items) and the JSON answer (the document's state for the user, its handlers and 流转记录).
ONE_OF_TWO = 28
#: The last leader's 批示: the step completes, 领导批示提示 is sent, the search entry is refreshed and 分办
#: opens for the office's clerk.
LAST_SIGNER = 59
#: On PostgreSQL the engine reads the work item again once it holds the document's row lock.
POSTGRESQL_EXTRA = 1


@contextmanager
def counting(app: Any) -> Iterator[list[str]]:
    statements: list[str] = []
    real_execute = app.db.execute_sql

    def execute(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        statements.append(re.sub(r"\s+", " ", sql))
        return real_execute(sql, params, *args, **kwargs)

    app.db.execute_sql = execute
    try:
        yield statements
    finally:
        app.db.execute_sql = real_execute


def listing(statements: list[str]) -> str:
    return "\n".join(f"  {sql[:200]}" for sql in statements)


def _approve(site: Any, username: str, item: int, budget: int) -> dict:
    if isinstance(site.db, PostgresqlDatabase):
        budget += POSTGRESQL_EXTRA
    token = issue_token(User.get(User.username == username), "budget", site.clock())
    with app_client(site) as client, counting(site) as statements:
        answer = client.post(
            f"/api/v1/core/workflow/items/{item}/approve",
            json={"opinion": "同意"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 200, answer.text
    assert len(statements) <= budget, (
        f"approving as {username} ran {len(statements)} statements (budget {budget}):\n{listing(statements)}"
    )
    return answer.json()


def test_an_approval_runs_few_statements(site, bureau):
    with api(site, "wu") as wu:
        doc = wu.post_json(API, body(doc_number="市监办函〔2026〕901号")).json()["id"]
        wu.post_json(f"{API}/{doc}/accept", {"handling": "handle"})
    with api(site, "liu") as liu:
        liu.post_json(
            f"/api/v1/core/workflow/items/{item_id(doc, 'liu')}/approve",
            {"opinion": "拟请两位局领导批示。", "chosen": ["chen", "huang"]},
        )
    # the first approval in this process (its statements prepared on the way) fits the same budget
    first = _approve(site, "chen", item_id(doc, "chen"), ONE_OF_TWO)
    assert first["instance"]["step"]["name"] == "instruct"
    last = _approve(site, "huang", item_id(doc, "huang"), LAST_SIGNER)
    assert last["instance"]["step"]["name"] == "assign"
    instance = Instance.get(Instance.object_id == str(doc), Instance.plugin == "docs_incoming")
    assert WorkItem.select().where((WorkItem.instance == instance) & (WorkItem.state == "open")).count() == 1

    # the same again on a second document, with every cache warm
    with api(site, "wu") as wu:
        doc = wu.post_json(API, body(doc_number="市监办函〔2026〕902号")).json()["id"]
        wu.post_json(f"{API}/{doc}/accept", {"handling": "handle"})
    with api(site, "liu") as liu:
        liu.post_json(
            f"/api/v1/core/workflow/items/{item_id(doc, 'liu')}/approve",
            {"opinion": "拟请两位局领导批示。", "chosen": ["chen", "huang"]},
        )
    _approve(site, "chen", item_id(doc, "chen"), ONE_OF_TWO)
    _approve(site, "huang", item_id(doc, "huang"), LAST_SIGNER)

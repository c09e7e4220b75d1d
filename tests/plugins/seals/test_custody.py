"""Seal custody is never delegated: a 用印 step declared ``delegable=False`` stays with the custodian while
they are away, other steps go to the delegate, and the delegate cannot approve or apply the seal."""

from __future__ import annotations

import pytest

from officium import hookimpl
from officium.core.db import write_transaction
from officium.core.workflow import engine
from officium.core.workflow.definition import Step, Workflow, users
from officium.core.workflow.models import WorkItem
from officium.plugins.delegation import service as delegation
from officium.plugins.seals import crypto, service
from officium.plugins.seals.service import SealError, SealInput
from officium.testing import add_unit, add_user, make_plugin

#: A document flow of a test module: the custodian checks it (delegable), then applies the seal (not).
ISSUE = Workflow(
    "issue",
    "发文",
    steps=(
        Step("review", "复核", users("keeper")),
        Step("seal", "用印", users("keeper"), delegable=False),
    ),
)


class Hooks:
    @hookimpl
    def register_workflows(self, app):
        return [ISSUE]


@pytest.fixture
def site(site_factory):
    app = site_factory(plugins=["seals", "delegation"], extra_plugins=[make_plugin("issuing", Hooks())])
    office = add_unit(app, "BGS", "办公室")
    people = {
        "keeper": add_user(app, "keeper", name="李保管", unit=office, roles=["clerk"]),
        "deputy": add_user(app, "deputy", name="孙代办", unit=office, roles=["clerk"]),
        "admin": add_user(app, "sealadmin", name="王管理", unit=office, roles=["seal_admin"]),
    }
    return app, office, people


def _away(app, keeper, deputy):
    now = app.clock()
    delegation.create(
        app,
        keeper,
        delegation.Draft(
            delegate=deputy.username,
            start=now.strftime("%Y-%m-%d %H:%M"),
            end=now.replace(hour=18).strftime("%Y-%m-%d %H:%M"),
            reason="外出开会",
        ),
    )


def _holders(instance):
    return {
        i.step: (i.assignee.username, i.principal.username if i.principal else None) for i in instance.items
    }


def test_the_seal_step_stays_with_the_custodian_while_away(site):
    app, office, people = site
    _away(app, people["keeper"], people["deputy"])
    with write_transaction(app.db):
        instance = engine.start(
            app,
            "issuing.issue",
            object_type="doc",
            object_id=1,
            title="通知",
            url="/issuing/1",
            drafter=people["admin"],
            unit=office,
        )
    assert _holders(instance)["review"] == ("deputy", "keeper")  # ordinary work goes to the delegate
    review = WorkItem.get((WorkItem.instance == instance.id) & (WorkItem.step == "review"))
    with write_transaction(app.db):
        engine.approve(app, review.id, people["deputy"], opinion="同意。")
    seal_item = WorkItem.get((WorkItem.instance == instance.id) & (WorkItem.step == "seal"))
    assert (seal_item.assignee_id, seal_item.principal_id) == (people["keeper"].id, None)


def test_a_delegation_that_starts_later_does_not_move_the_seal_step(site):
    app, office, people = site
    with write_transaction(app.db):
        instance = engine.start(
            app,
            "issuing.issue",
            object_type="doc",
            object_id=2,
            title="通知",
            url="/issuing/2",
            drafter=people["admin"],
            unit=office,
        )
        review = WorkItem.get((WorkItem.instance == instance.id) & (WorkItem.step == "review"))
        engine.approve(app, review.id, people["keeper"], opinion="同意。")
    _away(app, people["keeper"], people["deputy"])  # moves the custodian's open items now
    seal_item = WorkItem.get((WorkItem.instance == instance.id) & (WorkItem.step == "seal"))
    assert seal_item.assignee_id == people["keeper"].id and seal_item.principal_id is None


def test_the_delegate_cannot_approve_or_apply_the_seal(site):
    from datetime import date

    app, office, people = site
    with write_transaction(app.db):
        seal = service.create_seal(
            app,
            SealInput(
                unit=office,
                name="办公室",
                kind="公章",
                custodian=people["keeper"],
                valid_from=date(2026, 1, 1),
                valid_until=date(2026, 12, 31),
            ),
            people["admin"],
        )
        use = service.request_use(
            app,
            seal,
            owner=("issuing", "doc", 3),
            version=1,
            sha256=crypto.sha256_hex(b"%PDF-1.4 x"),
            requester=people["admin"],
            reason="发文",
        )
    _away(app, people["keeper"], people["deputy"])
    with pytest.raises(SealError) as refused, write_transaction(app.db):
        service.approve_use(app, use, people["deputy"])
    assert refused.value.status == 403 and "不能委托" in refused.value.message
    # the custodian's own seal work never reaches the delegate's 待办 either
    assert service.pending_for(people["deputy"]).count() == 0
    assert service.pending_for(people["keeper"]).count() == 1

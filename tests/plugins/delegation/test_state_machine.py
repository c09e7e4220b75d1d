"""外出授权 as a Hypothesis state machine (security requirement AC-6).

Four colleagues delegate to each other at random times and scopes (``create_delegation``, and
``delegate_redelegates`` for chains), revoke (``revoke``), the clock moves (``advance_clock``), documents
arrive in two modules (``create_document``), and people act on them (``delegate_acts``, ``principal_acts``,
and ``time_passes_then_someone_acts``), all through HTTP with bearer tokens.  A small model of the rules
predicts every answer:

- a delegate's action on A's item succeeds exactly when a delegation A→B is active (start ≤ now < end, not
  revoked) and covers the item's module at that moment; otherwise the item is with A and B is refused;
- every success by B on A's item is logged with ``on_behalf_of = A``;
- no item is ever held by a third person through a chain (A→B→C);
- after every request, no open item names a principal whose delegation is no longer active: items are
  exactly where the clock says (this is what "no background job needed" means).

The clock only moves in ``advance_clock``, which makes no request, so delegations regularly start and end
"while nobody acts": the next request must apply them before it is handled.

Kept small for the suite (30 examples of up to 20 steps).  To search harder, raise the numbers:
``DELEGATION_EXAMPLES=500 DELEGATION_STEPS=50 pytest tests/plugins/delegation/test_state_machine.py``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from officium.core.identity.models import User
from officium.core.workflow.models import ActionLog, WorkItem
from officium.testing import FakeClock, add_user, app_client, close_site, make_site

from .flows import As, flow_plugins

USERS = ("jia", "yi", "bing", "ding")
NAMES = {"jia": "甲", "yi": "乙", "bing": "丙", "ding": "丁"}
MODULES = ("docs", "leave")
MODULE = st.sampled_from(MODULES)
HANDLERS = st.lists(st.sampled_from(USERS), min_size=1, max_size=2, unique=True)
SCOPE = st.sampled_from(["all", ["docs"], ["leave"], ["docs", "leave"]])


@dataclass
class Model:
    """What the machine believes about one delegation."""

    id: int
    principal: str
    delegate: str
    start: datetime
    end: datetime
    modules: frozenset[str]
    revoked_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.start <= now < self.end

    def covers(self, module: str) -> bool:
        return module in self.modules


@dataclass
class Doc:
    """One open work item: whose work it is (the person the step named) and its module."""

    owner: str
    module: str


class DelegationMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.mkdtemp(prefix="delegation-machine-")
        self.clock = FakeClock()
        self.app = make_site(
            Path(self.folder) / "site", plugins=["delegation"], extra_plugins=flow_plugins(), clock=self.clock
        )
        self.ids = {name: add_user(self.app, name, name=NAMES[name]).id for name in USERS}
        self.usernames = {v: k for k, v in self.ids.items()}
        add_user(self.app, "drafter", name="拟稿人")
        self.stack = ExitStack()
        client = self.stack.enter_context(app_client(self.app))
        self.callers = {name: As(client, self.app, self._user(name)) for name in (*USERS, "drafter")}
        self.delegations: list[Model] = []
        self.open: dict[int, Doc] = {}
        #: The clock when the last request was made: the work items must match the rules at that time.
        self.synced_at = self.clock.now

    def _user(self, name):
        return User.get(User.username == name)

    def teardown(self) -> None:
        self.stack.close()
        close_site(self.app)
        shutil.rmtree(self.folder, ignore_errors=True)

    # ---------------------------------------------------------------------------------- the model

    def active_delegation(self, owner: str, module: str, now: datetime) -> Model | None:
        found = [d for d in self.delegations if d.principal == owner and d.active(now) and d.covers(module)]
        assert len(found) <= 1, f"two delegations of {owner} cover {module} at {now}: {found}"
        return found[0] if found else None

    def expected_holder(self, doc: Doc, now: datetime) -> tuple[str, str | None]:
        delegation = self.active_delegation(doc.owner, doc.module, now)
        return (delegation.delegate, doc.owner) if delegation else (doc.owner, None)

    def request(self, who: str, method: str, path: str, json=None):
        self.synced_at = self.clock.now
        caller = self.callers[who]
        return caller.get(path) if method == "GET" else caller.post(path, json=json)

    # ---------------------------------------------------------------------------------------- rules
    # Each run starts with some documents and one delegation asked for, so that short runs are interesting.

    @initialize(data=st.data())
    def some_documents(self, data):
        for _ in range(data.draw(st.integers(1, 3), label="documents")):
            self._document(data.draw(MODULE, label="module"), data.draw(HANDLERS, label="to"))

    @initialize(data=st.data())
    def a_first_delegation(self, data):
        self.create_delegation(data)

    @rule(data=st.data())
    def create_delegation(self, data):
        """Random principal, delegate (now and then the principal), start and end offsets, scope."""
        principal = data.draw(st.sampled_from(USERS), label="principal")
        others = [u for u in USERS if u != principal]
        delegate = data.draw(st.sampled_from([*others, *others, principal]), label="delegate")
        self._ask(data, principal, delegate)

    @precondition(lambda self: self.delegations)
    @rule(data=st.data())
    def delegate_redelegates(self, data):
        """B, who holds work for A, delegates too: only B's own work may move on (not transitive)."""
        first = data.draw(st.sampled_from(self.delegations), label="delegation")
        onward = data.draw(st.sampled_from([u for u in USERS if u != first.delegate]), label="to")
        self._ask(data, first.delegate, onward)

    def _ask(self, data, principal: str, delegate: str) -> None:
        start_hours = data.draw(st.integers(-3, 36), label="start_hours")
        length_hours = data.draw(st.integers(1, 72), label="length_hours")
        scope = data.draw(SCOPE, label="scope")
        now = self.clock.now
        asked_start = now + timedelta(hours=start_hours)
        end = asked_start + timedelta(hours=length_hours)
        start = max(asked_start, now)
        modules = frozenset(MODULES) if scope == "all" else frozenset(scope)
        clash = any(
            d.principal == principal
            and d.revoked_at is None
            and d.start < end
            and d.end > start
            and d.modules & modules
            for d in self.delegations
        )
        allowed = principal != delegate and end > now and not clash
        response = self.request(
            principal,
            "POST",
            "/api/v1/delegation/delegations",
            {
                "delegate": delegate,
                "start": asked_start.isoformat(),
                "end": end.isoformat(),
                "modules": scope,
                "reason": "外出",
            },
        )
        assert response.status_code == (201 if allowed else 400), (allowed, response.text)
        if allowed:
            body = response.json()
            assert body["state"] == ("active" if start <= now else "pending")
            self.delegations.append(Model(body["id"], principal, delegate, start, end, modules))

    @rule(hours=st.integers(1, 30))
    def advance_clock(self, hours):
        self.clock.advance(hours=hours)

    @precondition(lambda self: self.delegations)
    @rule(data=st.data())
    def revoke(self, data):
        delegation = data.draw(st.sampled_from(self.delegations))
        now = self.clock.now
        live = delegation.revoked_at is None and delegation.end > now
        response = self.request(
            delegation.principal, "POST", f"/api/v1/delegation/delegations/{delegation.id}/revoke"
        )
        assert response.status_code == (200 if live else 409), response.text
        if live:
            delegation.revoked_at = now

    @rule(data=st.data())
    def create_document(self, data):
        """A document for one or two people, often people who have delegated (the interesting case)."""
        principals = [d.principal for d in self.delegations if d.revoked_at is None]
        module = data.draw(MODULE, label="module")
        to = data.draw(st.lists(st.sampled_from([*USERS, *principals]), min_size=1, max_size=2, unique=True), label="to")
        self._document(module, to)

    def _document(self, module: str, to: list[str]) -> None:
        response = self.request("drafter", "POST", f"/api/v1/{module}/start", {"to": to})
        assert response.status_code == 200, response.text
        for owner, item_id in zip(to, response.json()["items"], strict=True):
            doc = Doc(owner, module)
            self.open[item_id] = doc
            row = WorkItem.get_by_id(item_id)
            assert self._holder(row) == self.expected_holder(doc, self.clock.now)

    def _act(self, item_id: int, actor: str) -> None:
        doc = self.open[item_id]
        delegation = self.active_delegation(doc.owner, doc.module, self.clock.now)
        if actor == doc.owner:
            allowed = delegation is None
        else:
            allowed = delegation is not None and delegation.delegate == actor
        response = self.request(actor, "POST", f"/api/v1/{doc.module}/items/{item_id}/approve", {})
        assert response.status_code == (200 if allowed else 400), (allowed, actor, doc, response.text)
        if not allowed:
            return
        row = WorkItem.get_by_id(item_id)
        assert row.state == "done" and self.usernames[row.actor_id] == actor
        log = (
            ActionLog.select()
            .where((ActionLog.instance == row.instance_id) & (ActionLog.action == "approve"))
            .order_by(ActionLog.id.desc())
            .first()
        )
        assert self.usernames[log.actor_id] == actor
        expected_behalf = self.ids[doc.owner] if actor != doc.owner else None
        assert log.on_behalf_of_id == expected_behalf
        del self.open[item_id]

    def _pick_item(self, data) -> int:
        """Mostly an item whose owner has delegated at some time (the interesting case), else any."""
        interesting = sorted(i for i, doc in self.open.items() if any(d.principal == doc.owner for d in self.delegations))
        anything = st.sampled_from(sorted(self.open))
        return data.draw(st.sampled_from(interesting) | anything if interesting else anything)

    @precondition(lambda self: self.open)
    @rule(data=st.data())
    def delegate_acts(self, data):
        item_id = self._pick_item(data)
        owner = self.open[item_id].owner
        # Mostly someone the owner named as delegate at some time (the interesting case), else anybody.
        named = sorted({d.delegate for d in self.delegations if d.principal == owner})
        others = [u for u in USERS if u != owner]
        actor = data.draw(st.sampled_from(named) | st.sampled_from(others) if named else st.sampled_from(others))
        self._act(item_id, actor)

    @precondition(lambda self: self.open)
    @rule(data=st.data())
    def principal_acts(self, data):
        item_id = self._pick_item(data)
        self._act(item_id, self.open[item_id].owner)

    @precondition(lambda self: self.open)
    @rule(hours=st.integers(1, 30), data=st.data())
    def time_passes_then_someone_acts(self, hours, data):
        """The sharpest case: a delegation starts or ends while nobody acts, then the next request is an action."""
        self.advance_clock(hours)
        if data.draw(st.booleans()):
            self.delegate_acts(data)
        else:
            self.principal_acts(data)

    # ----------------------------------------------------------------------------------- invariants

    def _holder(self, row: WorkItem) -> tuple[str, str | None]:
        return self.usernames[row.assignee_id], self.usernames.get(row.principal_id)

    @invariant()
    def no_chains(self):
        """An item held for A is held by a delegate A named directly, never by a third person."""
        direct = {(d.principal, d.delegate) for d in self.delegations}
        for row in WorkItem.select().where(WorkItem.state.in_(("open", "waiting"))):
            assignee, principal = self._holder(row)
            if principal is not None:
                assert assignee != principal
                assert (principal, assignee) in direct, f"{assignee} holds {principal}'s item {row.id}"

    @invariant()
    def items_are_where_the_clock_said_at_the_last_request(self):
        for item_id, doc in self.open.items():
            row = WorkItem.get_by_id(item_id)
            assert row.state == "open"
            assert self._holder(row) == self.expected_holder(doc, self.synced_at), (item_id, doc)


DelegationMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("DELEGATION_EXAMPLES", "30")),
    stateful_step_count=int(os.environ.get("DELEGATION_STEPS", "20")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)
TestDelegationMachine = DelegationMachine.TestCase

"""How plugins declare workflows: steps, who handles them, how, and within how many working days."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: How the handlers of a step act.
MODES = {
    "any": "任一人办理",  # several candidates; the first to act takes the step
    "all": "并行办理",  # everyone signs, in any order
    "sequence": "依次办理",  # everyone signs, one after another in the listed order
}


@dataclass(frozen=True)
class Handlers:
    """Who handles a step; build one with :func:`role`, :func:`unit_leader`, :func:`drafter`, ...

    ``kind`` is ``role`` (holders of ``role`` for the document's unit, looking up the unit tree when the
    unit has none), ``site_role`` (holders of ``role`` wherever granted), ``drafter``, ``users`` (fixed usernames) or ``chosen`` (the previous handler picks
    from ``candidates``, or from every active user when ``candidates`` is None), or ``computed`` (the
    plugin's ``resolver(app, instance)`` names them when the step starts, described by ``label``).
    """

    kind: str
    role: str = ""
    usernames: tuple[str, ...] = ()
    candidates: Handlers | None = None
    resolver: Callable[[Any, Any], Any] | None = field(default=None, compare=False)
    label: str = ""

    def describe(self, titles: Mapping[str, str] | None = None) -> str:
        """A Chinese description for the workflow panel; ``titles`` names the roles plugins declare
        (e.g. the registry's ``doc_office`` → 办公室公文管理员) that :data:`ROLE_TITLES` does not know."""
        title = ROLE_TITLES.get(self.role) or (titles or {}).get(self.role) or self.role
        if self.kind == "role":
            return f"本单位{title}"
        if self.kind == "site_role":
            return title
        if self.kind == "drafter":
            return "拟稿人"
        if self.kind == "users":
            return "、".join(self.usernames)
        if self.kind == "computed":
            return self.label
        return "由上一步办理人选择"


ROLE_TITLES = {
    "leader": "负责人",
    "supervising_leader": "分管领导",
    "clerk": "综合人员",
    "deputy_leader": "副职",
    "sysadmin": "系统管理员",
    "workflow_admin": "流程管理员",
}


def role(name: str) -> Handlers:
    """Holders of role ``name`` for the document's unit (or its nearest parent unit that has one)."""
    return Handlers("role", role=name)


def unit_leader() -> Handlers:
    """The leader (负责人) of the document's unit."""
    return role("leader")


def supervising_leader() -> Handlers:
    """The bureau leader in charge (分管领导) of the document's unit."""
    return role("supervising_leader")


def site_role(name: str) -> Handlers:
    """Every holder of role ``name`` wherever it was granted (e.g. the system administrators)."""
    return Handlers("site_role", role=name)


def drafter() -> Handlers:
    """The person who started the document."""
    return Handlers("drafter")


def users(*usernames: str) -> Handlers:
    """Fixed people, by username."""
    return Handlers("users", usernames=tuple(usernames))


def chosen(candidates: Handlers | None = None) -> Handlers:
    """People the previous handler picks, from ``candidates`` (None: any active user)."""
    return Handlers("chosen", candidates=candidates)


def computed(resolver: Callable[[Any, Any], Any], label: str) -> Handlers:
    """People the plugin's ``resolver(app, instance)`` returns when the step starts (e.g. the leaders of the
    units the drafter chose for 会签, read from the plugin's own record); ``label`` describes them."""
    return Handlers("computed", resolver=resolver, label=label)


@dataclass(frozen=True)
class Step:
    """One step of a workflow.

    ``when(fields)`` skips the step when it returns False (e.g. only documents over a threshold go to the
    bureau leader).  ``days`` is the time limit in working days.  ``on_complete(ctx)`` runs in the same
    transaction when the step is done (assign a 文号, apply a seal, deduct leave).  ``delegable=False``
    keeps the step's work with the person it names even while they have delegated their work (外出授权):
    用印 by the seal's custodian is the case the regulation names (seal custody is never delegated).
    """

    name: str
    title: str
    handlers: Handlers
    mode: str = "any"
    days: int | None = None
    when: Callable[[Mapping[str, Any]], bool] | None = None
    on_complete: Callable[[Any], None] | None = None
    delegable: bool = True

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(
                f"步骤 {self.name} 的办理方式 {self.mode!r} 不合法，应为 {'、'.join(MODES)} 之一。"
            )


@dataclass(frozen=True)
class Workflow:
    """A workflow a plugin owns, identified as ``<plugin>.<name>``.

    ``on_finish(ctx)`` runs when the last step completes; ``on_return(ctx)`` when the document goes back
    to its drafter; ``on_close(ctx)`` when it is withdrawn by its drafter or force-closed.
    ``drafter_title`` is what the pages call the person who started the document (拟稿人 for a draft,
    登记人 for a registered incoming document, 申请人 for a request); its own step is that title without
    the final 人 (拟稿, 登记, 申请).
    """

    name: str
    title: str
    steps: tuple[Step, ...]
    on_finish: Callable[[Any], None] | None = None
    on_return: Callable[[Any], None] | None = None
    on_close: Callable[[Any], None] | None = None
    drafter_title: str = "拟稿人"
    step_index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError(f"流程 {self.name} 没有步骤。")
        names = [s.name for s in self.steps]
        if len(set(names)) != len(names) or DRAFTER_STEP in names:
            raise ValueError(f"流程 {self.name} 的步骤名重复或使用了保留名 {DRAFTER_STEP}。")
        self.step_index.update({name: i for i, name in enumerate(names)})

    def step(self, name: str) -> Step:
        """The step called ``name``."""
        return self.steps[self.step_index[name]]


#: The pseudo-step in which a returned document waits for its drafter to revise and resubmit it.
DRAFTER_STEP = "drafter"

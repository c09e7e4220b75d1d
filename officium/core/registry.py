"""Declarations that ``register_*`` and UI hooks return.

They are frozen dataclasses rather than dicts so that the core can validate them in one place and report
duplicates as start-up errors instead of letting the last registration win.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: ``permission`` value of a route anyone may open (login page, health check).
PUBLIC = "public"
#: ``permission`` value of a route every signed-in user may open.
AUTHENTICATED = "authenticated"


@dataclass(frozen=True)
class Page:
    """A server-rendered page, mounted at ``/<plugin>/<path>`` and named ``<plugin>:<name>``.

    ``permission`` is required: a permission name, ``AUTHENTICATED`` or ``PUBLIC``.  The routing engine
    refuses the request before the view runs when the user lacks it.
    """

    path: str
    endpoint: Callable[..., Any]
    name: str
    permission: str
    methods: Sequence[str] = ("GET",)
    #: Unsafe requests run in one transaction.  Only a view that spends long on work that needs no lock
    #: (the sign-in form's password hashing) sets this False and opens short transactions itself.
    atomic: bool = True


@dataclass(frozen=True)
class Api:
    """A JSON endpoint, mounted at ``/api/v1/<plugin>/<path>`` and listed in the OpenAPI document.

    The view returns a JSON-serialisable value (wrapped as the response body) or a Response, and raises
    :class:`officium.core.web.api.ApiError` for failures.
    """

    path: str
    endpoint: Callable[..., Any]
    name: str
    permission: str
    methods: Sequence[str] = ("GET",)
    summary: str = ""
    #: As for :class:`Page`: False only for a view that opens its own short transactions.
    atomic: bool = True


@dataclass(frozen=True)
class Permission:
    """An action a plugin guards, e.g. ``leave.approve``; ``name`` must start with ``<plugin>.``.

    ``default_roles`` are the roles that hold it unless the security administrator changes the grants.
    """

    name: str
    title: str
    default_roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Role:
    """A role users hold, usually scoped to units (``clerk`` of 办公室).

    ``admin`` marks the three mutually exclusive administrator roles (三员): no account may hold two of them,
    and they never hold business roles.
    """

    name: str
    title: str
    admin: bool = False
    description: str = ""


@dataclass(frozen=True)
class MenuItem:
    """An entry in the left navigation, shown only to users holding ``permission``."""

    title: str
    url: str
    area: str
    permission: str
    order: int = 100

    def __post_init__(self) -> None:
        from officium.core.plugin_info import AREAS

        if self.area not in AREAS:
            raise ValueError(
                f"菜单项 {self.title} 的功能区 {self.area!r} 不合法，应为 {'、'.join(AREAS)} 之一。"
            )


@dataclass(frozen=True)
class Widget:
    """A dashboard (首页) panel; ``render(request)`` returns HTML (``Markup``) for the panel body."""

    name: str
    title: str
    render: Callable[[Any], Any]
    permission: str
    order: int = 100


@dataclass(frozen=True)
class TodoCount:
    """A pending-work badge: ``count`` items waiting for the user at ``url``."""

    title: str
    count: int
    url: str
    urgent: bool = False


#: What a :class:`UserChange` can be: moved to another unit, no longer at work, roles granted or revoked.
USER_CHANGE_KINDS = {"transfer": "人员调动", "left": "人员离岗", "roles": "角色变更"}


@dataclass(frozen=True)
class UserChange:
    """What changed about a person; the ``change`` argument of the ``user_changed`` hook.

    ``kind`` is ``transfer`` (the person moved to another unit), ``left`` (the account is no longer
    active: 离岗, 离职) or ``roles`` (roles were granted or revoked).  ``old_unit_id`` and ``new_unit_id``
    are the person's unit before and after the change (the same for ``left`` and ``roles``).  ``granted``
    and ``revoked`` list the ``(role, unit_id)`` grants the change added and removed.
    """

    kind: str
    old_unit_id: int | None
    new_unit_id: int | None
    granted: tuple[tuple[str, int | None], ...] = ()
    revoked: tuple[tuple[str, int | None], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in USER_CHANGE_KINDS:
            raise ValueError(f"人员变更类型 {self.kind!r} 不合法，应为 {'、'.join(USER_CHANGE_KINDS)} 之一。")


@dataclass(frozen=True)
class Setting:
    """A per-plugin setting, read from ``[plugins.<name>]`` in officium.toml.

    ``type`` is one of ``str``, ``int``, ``bool``, ``float`` or ``list``; unknown keys and values of the wrong
    type stop the site at start-up with a message naming the key.
    """

    key: str
    title: str
    type: type
    default: Any
    description: str = ""


#: Channels a notification can go out on: the in-app centre and e-mail (when the site configures SMTP).
NOTIFICATION_CHANNELS = {"inbox": "站内消息", "email": "电子邮件"}


@dataclass(frozen=True)
class NotificationType:
    """A kind of notification a plugin sends with ``officium.core.notifications.notify``.

    ``key`` must start with ``<plugin>.`` (``leave.approved``).  ``default_channels`` (a subset of
    ``("inbox", "email")``) apply until the user chooses otherwise on /notifications/preferences.
    """

    key: str
    title: str
    default_channels: tuple[str, ...] = ("inbox",)
    description: str = ""


@dataclass(frozen=True)
class Job:
    """A periodic background job run by the job consumer (``officium worker``, or inside ``officium serve``).

    ``name`` must start with ``<plugin>.``.  Give exactly one schedule: ``every_minutes`` (run when that
    many minutes passed since the last run started) or ``cron`` (five fields, ``"30 2 * * *"`` = 02:30 every
    day; day of week 0 = Sunday).  ``func(app)`` runs outside any transaction (open your own with
    ``write_transaction(app.db)``) and may return a short message for the jobs page; raising marks the run as
    failed.  A run holds a lock for ``timeout_minutes`` so that it never runs twice at once, on any node.
    """

    name: str
    func: Callable[[Any], Any]
    every_minutes: int | None = None
    cron: str = ""
    title: str = ""
    timeout_minutes: int = 30


@dataclass(frozen=True)
class SearchSource:
    """A kind of record a plugin feeds into the search index (文档查询).

    ``name`` is ``<plugin>.<kind>`` (``docs_incoming.document``); ``title`` is what the results page shows as
    its module label; ``reindex(app)`` yields every current
    :class:`~officium.core.search.SearchEntry` of the source, for ``officium search reindex``.
    """

    name: str
    title: str
    reindex: Callable[[Any], Any]


@dataclass
class Registry:
    """Everything the enabled plugins declared, collected once at start-up and owned by the app."""

    models: dict[str, list[type]] = field(default_factory=dict)
    permissions: dict[str, Permission] = field(default_factory=dict)
    permission_owner: dict[str, str] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    setting_specs: dict[str, dict[str, Setting]] = field(default_factory=dict)
    pages: dict[str, list[Page]] = field(default_factory=dict)
    workflows: dict[str, Any] = field(default_factory=dict)
    apis: dict[str, list[Api]] = field(default_factory=dict)
    notification_types: dict[str, NotificationType] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    search_sources: dict[str, SearchSource] = field(default_factory=dict)

    def role_permissions(self, role: str) -> frozenset[str]:
        """Permissions a role holds by default."""
        return frozenset(p.name for p in self.permissions.values() if role in p.default_roles)

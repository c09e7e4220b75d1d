"""Every hook a plugin can implement.  This file is the whole extension surface of Officium.

How hooks are called:

* Every hook receives ``app`` (the :class:`officium.core.app.OfficiumApp`).  Per-request hooks also get
  ``request`` and ``user`` (the signed-in :class:`officium.core.identity.models.User`, or ``None``).
* An implementation may accept any subset of a hook's arguments, so hooks can grow new arguments without
  breaking plugins.  Never give an implementation's arguments default values: pluggy does not pass them.
* ``register_*`` hooks run once at start-up and return lists of declarations from
  :mod:`officium.core.registry`; the core validates them, and a name claimed twice (route, permission, role,
  table) is a start-up error naming both plugins.
* Per-request hooks (``menu_items``, ``dashboard_widgets``, ``todo_counts``) return a plain list (views
  are synchronous, so an awaitable is not supported); results of all plugins are concatenated.
* Order: the built-in ``core`` plugin registers first, then enabled plugins in dependency order (a plugin
  after what it requires).  pluggy calls implementations last-registered-first, so a plugin runs before the
  plugins it depends on.  Display order is set by each declaration's ``order`` field, never by call order.

A hook is added here together with the engine that calls it, so that no hook exists without a caller.
"""

from __future__ import annotations

from pluggy import HookspecMarker

hookspec = HookspecMarker("officium")


# --------------------------------------------------------------------------------------------- data


@hookspec
def register_models(app):
    """Return the Peewee model classes (subclasses of ``officium.core.db.BaseModel``) this plugin owns.

    Called once at start-up.  Table names must start with ``<plugin>_``; a table claimed by two plugins is
    a start-up error.  Tables are created by the plugin's migrations (``officium db upgrade``), never from
    this list, which is used for validation and by tools such as ``plugins doctor``.
    """


@hookspec
def register_settings(app):
    """Return a list of :class:`~officium.core.registry.Setting` this plugin reads.

    Called once at start-up.  Values come from ``[plugins.<name>]`` in officium.toml; keys not declared
    here, or values of the wrong type, stop the start-up.  Read them with ``app.settings("<name>")[key]``.
    """


# ---------------------------------------------------------------------------------------------- auth


@hookspec
def register_permissions(app):
    """Return a list of :class:`~officium.core.registry.Permission` this plugin guards.

    Called once at start-up.  Names must start with ``<plugin>.``; a name declared twice is a start-up
    error.  Roles named in ``default_roles`` must be registered by some enabled plugin.
    """


@hookspec
def register_roles(app):
    """Return a list of :class:`~officium.core.registry.Role` this plugin introduces.

    Called once at start-up.  Role names are global (``clerk`` means the same in every module); a role
    declared by two plugins is a start-up error.
    """


# -------------------------------------------------------------------------------------- organisation


@hookspec
def user_changed(app, user, change):
    """Called after a person's unit, status or roles changed; returns nothing.

    ``user`` is the :class:`~officium.core.identity.models.User` as it is now; ``change`` is a
    :class:`~officium.core.registry.UserChange` (``kind`` ``transfer``, ``left`` or ``roles``, the old and
    new unit ids, the grants added and removed).  It runs inside the transaction that made the change, so
    an implementation that raises undoes the change.  The core's own implementation hands the person's
    open work items on (离岗: to the leader of their unit; 调动 or a revoked role: to whoever now holds the
    role the step named).
    """


# ----------------------------------------------------------------------------------------------- web


@hookspec
def register_routes(app):
    """Return a list of :class:`~officium.core.registry.Page` and :class:`~officium.core.registry.Api`.

    Called once while the web application is built.  Pages are mounted at ``/<plugin>/`` and named
    ``<plugin>:<name>``; APIs at ``/api/v1/<plugin>/`` and named ``api.<plugin>:<name>``.  Each declares
    the permission it needs; the routing engine enforces it before the view runs.
    """


@hookspec
def register_middleware(app):
    """Return a list of ``starlette.middleware.Middleware`` to wrap the whole application.

    Called once, before the Starlette application is constructed, so middleware can never be added after
    the server started.  Plugin middleware sits inside the core's error and session handling.
    """


@hookspec
def prepare_jinja2_environment(env, app):
    """Add filters, globals or tests to the Jinja2 ``env`` shared by all templates; returns nothing.

    Called once at start-up, after the core installed its own globals (``url``, ``static``, ``version``,
    ``site_name``), so a plugin may wrap or replace them.
    """


# ------------------------------------------------------------------------------------------ workflow


@hookspec
def register_workflows(app):
    """Return the :class:`~officium.core.workflow.definition.Workflow` definitions this plugin owns.

    Called once at start-up.  Each is known as ``<plugin>.<name>`` and started with
    ``officium.core.workflow.engine.start(app, "<plugin>.<name>", ...)``; a name declared twice is a
    start-up error.
    """


@hookspec(firstresult=True)
def workflow_assignee(app, user, plugin):
    """Return who should hold new work that would go to ``user`` in ``plugin``, or None for ``user``.

    Called by the workflow engine whenever it creates a work item.  The first non-None answer wins; the
    外出授权 (delegation) plugin answers with the active delegate, and the item records ``user`` as the
    principal so that actions show as "delegate 代 user".
    """


# ---------------------------------------------------------------------------- notifications and jobs


@hookspec
def register_notification_types(app):
    """Return a list of :class:`~officium.core.registry.NotificationType` this plugin sends.

    Called once at start-up.  Keys must start with ``<plugin>.``; a key declared twice is a start-up
    error.  Send one with ``officium.core.notifications.notify(app, user, key, title, url=..., body=...)``;
    an unregistered key is refused.  Users choose the channels (站内消息, 电子邮件) per type.
    """


@hookspec
def register_jobs(app):
    """Return a list of :class:`~officium.core.registry.Job`: periodic background jobs of this plugin.

    Called once at start-up.  Names must start with ``<plugin>.``; each job has ``every_minutes`` or a
    ``cron`` schedule.  The job consumer (``officium worker``, or the one inside ``officium serve``)
    calls ``func(app)`` when it is due, under a lock so that it never runs twice at once across processes,
    and records each run for the 后台任务 page.
    """


@hookspec
def opinion_phrases(app, user):
    """Return a list of ``str``: phrases ``user`` often writes as an opinion (常用意见), e.g. "同意。".

    Called when a workflow panel with an opinion box is shown to ``user``.  The lists of all plugins are
    concatenated in call order (repeats dropped) and offered beside the box; picking one fills it in.
    Return ``[]`` when the plugin has none for this user.
    """


# -------------------------------------------------------------------------------------------- search


@hookspec
def register_search_sources(app):
    """Return a list of :class:`~officium.core.registry.SearchSource`: the kinds of record this plugin indexes.

    Called once at start-up.  Names must be ``<plugin>.<kind>``; a name declared twice is a start-up error.
    The plugin keeps the index current itself with ``officium.core.search.index_entry`` and
    ``remove_entry`` inside the transaction that changes the record; ``reindex(app)`` of each source is
    called only by ``officium search reindex`` to rebuild the index from scratch.
    """


# ----------------------------------------------------------------------------------------- dashboard


@hookspec
def menu_items(request, user, app):
    """Return a list of :class:`~officium.core.registry.MenuItem` for the left navigation.

    Called on every page render.  The core drops items whose ``permission`` the user lacks and groups the
    rest by functional area, ordered by ``order``.
    """


@hookspec
def dashboard_widgets(request, user, app):
    """Return a list of :class:`~officium.core.registry.Widget` for the dashboard (首页).

    Called when the dashboard renders.  Widgets whose ``permission`` the user lacks are dropped; the rest
    are shown by ``order``.
    """


@hookspec
def todo_counts(request, user, app):
    """Return a list of :class:`~officium.core.registry.TodoCount` for the user's pending work.

    Called on every page render for the 待办 badge, so it must be one cheap indexed query.  Counts of all
    plugins are summed for the badge and listed on the dashboard.
    """


# ----------------------------------------------------------------------------------------------- cli


@hookspec
def register_commands(cli, app):
    """Add click commands or groups to the ``officium`` command group ``cli``; returns nothing.

    Called only when a command that is not built in is looked up, after the site's plugins loaded, so a
    broken plugin never breaks ``officium --help``.  Name a group after the plugin.
    """


@hookspec
def seed_demo(app):
    """Add the plugin's sample data to the demo site; returns nothing.

    Called by ``officium demo`` once, after the demo bureau's units and staff were created, inside the
    same transaction (a failure leaves no half-seeded site).  Grant the plugin's own roles to demo people
    and create the records a visitor needs to try the module.
    """


# ----------------------------------------------------------------------------------------- lifecycle


@hookspec
def startup(app):
    """Run once when the server (or a test client) starts, after the schema was verified as current.

    May return an awaitable.  Use it to warm caches or check external services; raise
    :class:`~officium.core.errors.StartupError` to refuse to start.
    """


@hookspec
def shutdown(app):
    """Run once when the server stops, in reverse plugin order; may return an awaitable."""

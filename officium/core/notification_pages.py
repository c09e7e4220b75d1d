"""The notification centre's pages (/notifications/), its JSON API and the top bar's bell."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from officium.core import audit
from officium.core.notifications import (
    EMAIL_RE,
    Notification,
    chosen_channels,
    email_address,
    listing,
    mark_read,
    save_preferences,
    unread_count,
)
from officium.core.registry import AUTHENTICATED, NOTIFICATION_CHANNELS, Api, MenuItem, Page
from officium.core.web.api import ApiError, paginate
from officium.core.web.views import current_user, form_value, page_of, redirect, render

LIST_URL = "/notifications/"


def _mine(request: Request, note_id: int) -> Notification:
    note = Notification.get_or_none(
        (Notification.id == note_id) & (Notification.user == current_user(request))
    )
    if note is None:
        raise HTTPException(404)
    return note


def _back(request: Request) -> str:
    # back to the page of the list the form was on; only our own list, never an outside address
    page = form_value(request, "page")
    unread = form_value(request, "unread") == "1"
    params = [f"page={page}" if page.isdigit() else "", "unread=1" if unread else ""]
    query = "&".join(p for p in params if p)
    return LIST_URL + (f"?{query}" if query else "")


def notifications_page(request: Request) -> Response:
    """消息通知: the user's notifications, unread first, with paging and 全部标为已读."""
    user = current_user(request)
    unread_only = request.query_params.get("unread") == "1"
    result = page_of(request, listing(user, unread_only))
    types = request.state.app.registry.notification_types
    return render(
        request,
        "core/notifications/index.html",
        listing=result,
        unread_only=unread_only,
        unread=unread_count(user),
        type_titles={key: spec.title for key, spec in types.items()},
    )


def notification_open(request: Request) -> Response:
    """Mark one notification read and go to what it is about."""
    note = _mine(request, request.path_params["id"])
    mark_read(request.state.app, current_user(request), [note.id])
    return redirect(note.url or LIST_URL)


def notification_read(request: Request) -> Response:
    """Mark one notification read and stay on the list."""
    note = _mine(request, request.path_params["id"])
    mark_read(request.state.app, current_user(request), [note.id])
    return redirect(_back(request))


def notifications_read_all(request: Request) -> Response:
    """Mark every notification of the user read."""
    mark_read(request.state.app, current_user(request))
    return redirect(_back(request))


def _type_rows(app: Any, user: Any) -> list[tuple[Any, dict[str, bool]]]:
    types = sorted(app.registry.notification_types.values(), key=lambda t: t.key)
    return [(spec, chosen_channels(app, user, spec.key)) for spec in types]


def preferences_page(request: Request) -> Response:
    """消息提醒设置: the channels per notification type and the address e-mails go to."""
    app = request.state.app
    user = current_user(request)
    errors: dict[str, str] = {}
    saved = False
    email = email_address(user)
    if request.method == "POST":
        email = form_value(request, "email")
        if email and (len(email) > 254 or not EMAIL_RE.match(email)):
            errors["email"] = "请填写正确的电子邮箱地址，例如 zhangsan@example.gov.cn。"
        choices = {
            key: {
                channel: form_value(request, f"{key}:{channel}") == "1" for channel in NOTIFICATION_CHANNELS
            }
            for key in app.registry.notification_types
        }
        if (
            app.config.smtp is None
        ):  # the e-mail boxes are disabled: keep what was chosen for when it is set up
            for key, channels in choices.items():
                channels["email"] = chosen_channels(app, user, key)["email"]
        if not errors:
            save_preferences(user, choices, email)
            audit.record(
                app,
                "core.notifications.preferences",
                request=request,
                object_type="user",
                object_id=user.id,
                summary="修改消息提醒设置",
            )
            saved = True
    return render(
        request,
        "core/notifications/preferences.html",
        status_code=400 if errors else 200,
        rows=_type_rows(app, user),
        channels=NOTIFICATION_CHANNELS,
        email=email,
        errors=errors,
        saved=saved,
        smtp=app.config.smtp is not None,
    )


# ------------------------------------------------------------------------------------------------ API


def _serialize(note: Notification) -> dict[str, Any]:
    return {
        "id": note.id,
        "kind": note.kind,
        "title": note.title,
        "body": note.body,
        "url": note.url,
        "created_at": note.created_at.isoformat(),
        "read_at": note.read_at.isoformat() if note.read_at else None,
    }


def api_notifications(request: Request) -> dict[str, Any]:
    """The signed-in user's notifications, unread first; ``unread=1`` lists only the unread."""
    unread_only = request.query_params.get("unread") == "1"
    return paginate(request, listing(current_user(request), unread_only), _serialize)


def api_unread(request: Request) -> dict[str, int]:
    """How many unread notifications the user has (the bell's number)."""
    return {"unread": unread_count(current_user(request))}


def api_read(request: Request) -> dict[str, Any]:
    """Mark one of the user's notifications read."""
    note = Notification.get_or_none(
        (Notification.id == request.path_params["id"]) & (Notification.user == current_user(request))
    )
    if note is None:
        raise ApiError(404, "not_found", "找不到该通知。")
    mark_read(request.state.app, current_user(request), [note.id])
    return _serialize(Notification.get_by_id(note.id))


def api_read_all(request: Request) -> dict[str, int]:
    """Mark all of the user's notifications read."""
    return {"marked": mark_read(request.state.app, current_user(request))}


def install_bell(env: Any) -> None:
    """The Jinja global the shell's bell uses: ``notifications_unread(user)`` (one indexed COUNT)."""
    env.globals["notifications_unread"] = unread_count


POST = ("POST",)

ROUTES = [
    Page("/notifications/", notifications_page, "notifications", AUTHENTICATED),
    Page("/notifications/{id:int}/open", notification_open, "notification_open", AUTHENTICATED, methods=POST),
    Page("/notifications/{id:int}/read", notification_read, "notification_read", AUTHENTICATED, methods=POST),
    Page(
        "/notifications/read-all",
        notifications_read_all,
        "notifications_read_all",
        AUTHENTICATED,
        methods=POST,
    ),
    Page(
        "/notifications/preferences",
        preferences_page,
        "notification_preferences",
        AUTHENTICATED,
        methods=("GET", "POST"),
    ),
    Api("/notifications", api_notifications, "notifications", AUTHENTICATED, summary="我的消息通知"),
    Api("/notifications/unread", api_unread, "notifications_unread", AUTHENTICATED, summary="未读通知数"),
    Api(
        "/notifications/{id:int}/read",
        api_read,
        "notification_read",
        AUTHENTICATED,
        methods=POST,
        summary="标记一条通知为已读",
    ),
    Api(
        "/notifications/read-all",
        api_read_all,
        "notifications_read_all",
        AUTHENTICATED,
        methods=POST,
        summary="全部标记为已读",
    ),
]

MENU = [MenuItem("消息通知", LIST_URL, "个人事务", AUTHENTICATED, order=800)]

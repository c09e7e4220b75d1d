"""个人设置 pages and the 常用意见 API.  Every route acts on the signed-in user's own records only.

Views are plain functions; the core checks the permission and the CSRF token and runs POSTs in one
transaction around them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from peewee import JOIN
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from officium import AUTHENTICATED, Api, Page
from officium.core import audit
from officium.core.identity import totp
from officium.core.identity.access import is_admin
from officium.core.identity.models import LoginRecord, RoleGrant, Session, Unit
from officium.core.identity.passwords import verify_password
from officium.core.identity.sessions import (
    COOKIE_NAME,
    end_session_by_label,
    end_user_sessions,
    session_label,
    user_sessions,
)
from officium.core.web.api import ApiError, paginate
from officium.core.web.views import current_user, form_value, redirect, render
from officium.plugins.profile import opinions
from officium.plugins.profile.models import OPINION_MAX, OPINIONS_PER_USER, Opinion

URL = "/profile/"
#: Sign-in attempts shown on the overview.
RECENT_LOGINS = 10

LOGIN_REASONS = {
    "": "登录成功",
    "bad_password": "密码错误",
    "bad_code": "动态口令错误",
    "locked": "账号锁定期间尝试登录",
    "one_time_expired": "一次性密码已过期",
    "status_disabled": "账号已停用",
    "status_left": "账号已注销（离职）",
}
ADMIN_KEEPS_MFA = "三员（系统管理员、安全保密管理员、安全审计员）必须使用动态口令，不能解除绑定。"
NOT_ENROLLED = "您没有绑定身份验证器，无需解除。"
WRONG_PASSWORD = "当前密码不正确。"
NOTICES = {
    "mfa_disabled": "已解除身份验证器绑定。以后登录只需密码。",
    "session_ended": "已结束该会话，用它登录的浏览器需要重新登录。",
    "others_ended": "已结束其他 {n} 个会话。",
    "opinion_added": "已添加常用意见。",
    "opinion_saved": "已保存修改。",
    "opinion_deleted": "已删除常用意见。",
}


def _notice(request: Request) -> str:
    key = request.query_params.get("done", "")
    text = NOTICES.get(key, "")
    return text.format(n=request.query_params.get("n", "")) if "{n}" in text else text


def _is_admin(request: Request) -> bool:
    return is_admin(request.state.app.registry, set(request.state.ctx.roles))


# ------------------------------------------------------------------------------------------- overview


def overview(request: Request) -> Response:
    """本人信息: account, unit, position, roles with their units, and the latest sign-in attempts."""
    app = request.state.app
    user = current_user(request)
    grants = (
        RoleGrant.select(RoleGrant, Unit)
        .join(Unit, JOIN.LEFT_OUTER)
        .where(RoleGrant.user == user)
        .order_by(RoleGrant.role, RoleGrant.id)
    )
    roles = [
        (
            app.registry.roles[g.role].title if g.role in app.registry.roles else g.role,
            g.unit.name if g.unit_id else "",
        )
        for g in grants
    ]
    logins = list(
        LoginRecord.select()
        .where((LoginRecord.user == user) & (LoginRecord.reason != "code_requested"))
        .order_by(LoginRecord.at.desc(), LoginRecord.id.desc())
        .limit(RECENT_LOGINS)
    )
    return render(
        request,
        "profile/index.html",
        roles=roles,
        implicit_staff="staff" in request.state.ctx.roles,
        logins=[(r, LOGIN_REASONS.get(r.reason, r.reason)) for r in logins],
        mfa_enrolled=bool(user.totp_secret),
        opinion_count=Opinion.select().where(Opinion.user == user).count(),
    )


# ------------------------------------------------------------------------------------------------ mfa


def mfa_page(request: Request, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    """动态口令: whether an authenticator is bound, links to bind one, and the form to unbind it."""
    return render(
        request,
        "profile/mfa.html",
        status_code=status,
        enrolled=bool(current_user(request).totp_secret),
        admin=_is_admin(request),
        errors=errors or {},
        notice=_notice(request),
    )


def mfa_disable(request: Request) -> Response:
    """Unbind the authenticator; needs the current password and is refused to the three administrators."""
    user = current_user(request)
    if _is_admin(request):
        raise HTTPException(403, ADMIN_KEEPS_MFA)
    if not user.totp_secret:
        return mfa_page(request, {"current": NOT_ENROLLED}, 400)
    if not verify_password(user.password_hash, str(request.state.form.get("current", ""))):
        audit.record(
            request.state.app,
            "profile.mfa.disable",
            request=request,
            object_type="user",
            object_id=user.id,
            result="refused",
            summary="解除身份验证器绑定失败：当前密码不正确",
        )
        return mfa_page(request, {"current": WRONG_PASSWORD}, 400)
    totp.disable(user)
    audit.record(
        request.state.app,
        "profile.mfa.disable",
        request=request,
        object_type="user",
        object_id=user.id,
        summary="解除身份验证器绑定",
    )
    return redirect(f"{URL}mfa?done=mfa_disabled")


# ------------------------------------------------------------------------------------------- sessions

_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("MSIE ", "Internet Explorer"),
    ("Trident/", "Internet Explorer"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_of(user_agent: str) -> str:
    """A short description of a browser (``Chrome · Windows``) from its User-Agent header."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    return " · ".join(p for p in (browser, system) if p) or ("未知设备" if user_agent else "（未提供）")


@dataclass(frozen=True)
class SessionRow:
    """A session as the list shows it."""

    label: str
    device: str
    user_agent: str
    ip: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


def _alive(session: Session, now: datetime) -> bool:
    idle_over = now - session.last_seen_at > timedelta(seconds=session.idle_seconds)
    return not idle_over and (session.expires_at is None or now < session.expires_at)


def own_sessions(request: Request) -> list[SessionRow]:
    """The user's live sessions, the current one first."""
    now = request.state.app.clock()
    current = request.state.ctx.session
    rows = [
        SessionRow(
            label=session_label(s),
            device=device_of(s.user_agent),
            user_agent=s.user_agent,
            ip=s.ip,
            created_at=s.created_at,
            last_seen_at=s.last_seen_at,
            current=current is not None and s.key == current.key,
        )
        for s in user_sessions(current_user(request))
        if _alive(s, now)
    ]
    return sorted(rows, key=lambda r: not r.current)


def sessions_page(request: Request) -> Response:
    """登录会话: every browser signed in as the user, with buttons to end them."""
    rows = own_sessions(request)
    return render(
        request,
        "profile/sessions.html",
        sessions=rows,
        others=sum(1 for r in rows if not r.current),
        notice=_notice(request),
    )


_LABEL = re.compile(r"[0-9a-f]{16}\Z")


def end_one_session(request: Request) -> Response:
    """End one of the user's own sessions by its label; an unknown or another person's label is 404."""
    label = request.path_params["label"]
    ctx = request.state.ctx
    if not _LABEL.match(label) or not end_session_by_label(ctx.user, label):
        raise HTTPException(404)
    current = ctx.session is not None and session_label(ctx.session) == label
    audit.record(
        request.state.app,
        "profile.session.end",
        request=request,
        object_type="session",
        object_id=label,
        summary="结束本人的当前会话" if current else "结束本人的一个登录会话",
    )
    if current:
        response = redirect("/login")
        response.delete_cookie(COOKIE_NAME, path="/")
        return response
    return redirect(f"{URL}sessions?done=session_ended")


def end_other_sessions(request: Request) -> Response:
    """End every session of the user except the one making this request."""
    ctx = request.state.ctx
    ended = end_user_sessions(ctx.user, keep=ctx.session)
    audit.record(
        request.state.app,
        "profile.session.end_others",
        request=request,
        object_type="user",
        object_id=ctx.user.id,
        summary=f"结束本人的其他 {ended} 个登录会话",
    )
    return redirect(f"{URL}sessions?done=others_ended&n={ended}")


# ------------------------------------------------------------------------------------------- opinions


def _own_or_404(request: Request) -> Opinion:
    opinion = opinions.get_own(current_user(request), request.path_params["id"])
    if opinion is None:
        raise HTTPException(404)
    return opinion


def _audit_opinion(request: Request, action: str, opinion: Opinion, summary: str) -> None:
    audit.record(
        request.state.app,
        f"profile.opinion.{action}",
        request=request,
        object_type="opinion",
        object_id=opinion.id,
        summary=summary,
    )


def opinions_page(request: Request) -> Response:
    """常用意见: the list with up/down/edit/delete, and a form to add one (POST)."""
    user = current_user(request)
    errors: dict[str, str] = {}
    value = ""
    if request.method == "POST":
        value = form_value(request, "text")
        try:
            opinion = opinions.add(user, request.state.form.get("text", ""), request.state.app.clock())
        except opinions.OpinionError as exc:
            errors = {"text": str(exc)}
        else:
            _audit_opinion(request, "create", opinion, f"添加常用意见：{opinion.text}")
            return redirect(f"{URL}opinions?done=opinion_added")
    rows = opinions.own(user)
    return render(
        request,
        "profile/opinions.html",
        status_code=400 if errors else 200,
        opinions=rows,
        errors=errors,
        value=value,
        full=len(rows) >= OPINIONS_PER_USER,
        limit=OPINIONS_PER_USER,
        text_max=OPINION_MAX,
        notice=_notice(request),
    )


def opinion_edit(request: Request) -> Response:
    """Change the text of one of the user's phrases."""
    opinion = _own_or_404(request)
    errors: dict[str, str] = {}
    value = opinion.text
    if request.method == "POST":
        value = form_value(request, "text")
        before = opinion.text
        try:
            opinions.update(opinion, request.state.form.get("text", ""), request.state.app.clock())
        except opinions.OpinionError as exc:
            errors = {"text": str(exc)}
        else:
            _audit_opinion(request, "update", opinion, f"修改常用意见：{before} → {opinion.text}")
            return redirect(f"{URL}opinions?done=opinion_saved")
    return render(
        request,
        "profile/opinion_edit.html",
        status_code=400 if errors else 200,
        opinion=opinion,
        value=value,
        errors=errors,
        text_max=OPINION_MAX,
    )


def opinion_move(request: Request) -> Response:
    """Move a phrase one place up or down (``direction`` = ``up`` or ``down``)."""
    opinion = _own_or_404(request)
    direction = form_value(request, "direction")
    if direction not in ("up", "down"):
        raise HTTPException(400)
    if opinions.move(opinion, -1 if direction == "up" else 1):
        _audit_opinion(
            request, "move", opinion, f"{'上移' if direction == 'up' else '下移'}常用意见：{opinion.text}"
        )
    return redirect(f"{URL}opinions")


def opinion_delete(request: Request) -> Response:
    """Delete one of the user's phrases (the page asks for confirmation first)."""
    opinion = _own_or_404(request)
    _audit_opinion(request, "delete", opinion, f"删除常用意见：{opinion.text}")
    opinions.delete(opinion)
    return redirect(f"{URL}opinions?done=opinion_deleted")


# ------------------------------------------------------------------------------------------------ api


def serialize(opinion: Opinion) -> dict[str, Any]:
    """A phrase as the API shows it."""
    return {"id": opinion.id, "text": opinion.text, "position": opinion.position}


def _api_own_or_404(request: Request) -> Opinion:
    opinion = opinions.get_own(current_user(request), request.path_params["id"])
    if opinion is None:
        raise ApiError(404, "not_found", "找不到该常用意见。")
    return opinion


def _api_text(request: Request) -> object:
    data = request.state.json
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", '请求体应为 JSON 对象，如 {"text": "同意。"}。')
    if not isinstance(data.get("text"), str):
        raise ApiError(400, "invalid", "提交的内容不正确。", {"text": "text 应为字符串。"})
    return data["text"]


def api_list(request: Request) -> dict[str, Any]:
    """The signed-in user's 常用意见 in their order (standard list shape)."""
    query = (
        Opinion.select().where(Opinion.user == current_user(request)).order_by(Opinion.position, Opinion.id)
    )
    return paginate(request, query, serialize)


def api_create(request: Request) -> Response:
    """Append a phrase from ``{"text": ...}``; answers 201 with it."""
    text = _api_text(request)
    try:
        opinion = opinions.add(current_user(request), text, request.state.app.clock())
    except opinions.OpinionError as exc:
        raise ApiError(400, "invalid", "提交的内容不正确。", {"text": str(exc)}) from exc
    _audit_opinion(request, "create", opinion, f"添加常用意见：{opinion.text}")
    return JSONResponse(serialize(opinion), status_code=201)


def api_update(request: Request) -> dict[str, Any]:
    """Change a phrase's text from ``{"text": ...}``."""
    opinion = _api_own_or_404(request)
    text = _api_text(request)
    before = opinion.text
    try:
        opinions.update(opinion, text, request.state.app.clock())
    except opinions.OpinionError as exc:
        raise ApiError(400, "invalid", "提交的内容不正确。", {"text": str(exc)}) from exc
    _audit_opinion(request, "update", opinion, f"修改常用意见：{before} → {opinion.text}")
    return serialize(opinion)


def api_delete(request: Request) -> Response:
    """Delete a phrase; answers 204."""
    opinion = _api_own_or_404(request)
    _audit_opinion(request, "delete", opinion, f"删除常用意见：{opinion.text}")
    opinions.delete(opinion)
    return Response(status_code=204)


ROUTES = [
    Page("/", overview, "index", AUTHENTICATED),
    Page("/mfa", mfa_page, "mfa", AUTHENTICATED),
    Page("/mfa/disable", mfa_disable, "mfa_disable", AUTHENTICATED, methods=("POST",)),
    Page("/sessions", sessions_page, "sessions", AUTHENTICATED),
    Page("/sessions/end-others", end_other_sessions, "end_other_sessions", AUTHENTICATED, methods=("POST",)),
    Page("/sessions/{label}/end", end_one_session, "end_session", AUTHENTICATED, methods=("POST",)),
    Page("/opinions", opinions_page, "opinions", AUTHENTICATED, methods=("GET", "POST")),
    Page("/opinions/{id:int}/edit", opinion_edit, "opinion_edit", AUTHENTICATED, methods=("GET", "POST")),
    Page("/opinions/{id:int}/move", opinion_move, "opinion_move", AUTHENTICATED, methods=("POST",)),
    Page("/opinions/{id:int}/delete", opinion_delete, "opinion_delete", AUTHENTICATED, methods=("POST",)),
    Api("/opinions", api_list, "opinions", AUTHENTICATED, summary="本人的常用意见"),
    Api("/opinions", api_create, "create_opinion", AUTHENTICATED, methods=("POST",), summary="添加常用意见"),
    Api(
        "/opinions/{id:int}",
        api_update,
        "update_opinion",
        AUTHENTICATED,
        methods=("PUT",),
        summary="修改常用意见",
    ),
    Api(
        "/opinions/{id:int}",
        api_delete,
        "delete_opinion",
        AUTHENTICATED,
        methods=("DELETE",),
        summary="删除常用意见",
    ),
]

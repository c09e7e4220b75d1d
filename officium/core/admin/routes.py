"""The 系统管理 routes and menu entries; the core's ``register_routes`` and ``menu_items`` add them.

Pages are mounted at ``/admin/…`` (the core's pages sit at the root), the API at ``/api/v1/core/…``.
Each route names the one permission it needs; the auditor's routes are all safe (GET) methods.
"""

from __future__ import annotations

from officium.core.admin import api, pages
from officium.core.registry import Api, MenuItem, Page

ACCOUNTS = "core.accounts.manage"
SECURITY = "core.security.manage"
AUDIT = "core.audit.read"
AREA = "系统管理"
BOTH = ("GET", "POST")
POST = ("POST",)

PAGES = [
    # 系统管理员: units and accounts
    Page("/admin/units", pages.units_page, "admin_units", ACCOUNTS),
    Page("/admin/units/new", pages.unit_new, "admin_unit_new", ACCOUNTS, methods=BOTH),
    Page("/admin/units/{id:int}", pages.unit_edit, "admin_unit", ACCOUNTS, methods=BOTH),
    Page(
        "/admin/units/{id:int}/deactivate",
        pages.unit_deactivate,
        "admin_unit_deactivate",
        ACCOUNTS,
        methods=POST,
    ),
    Page(
        "/admin/units/{id:int}/activate", pages.unit_activate, "admin_unit_activate", ACCOUNTS, methods=POST
    ),
    Page("/admin/users", pages.users_page, "admin_users", ACCOUNTS),
    Page("/admin/users/new", pages.user_new, "admin_user_new", ACCOUNTS, methods=BOTH),
    Page("/admin/users/{id:int}", pages.user_edit, "admin_user", ACCOUNTS, methods=BOTH),
    Page("/admin/users/{id:int}/status", pages.user_status, "admin_user_status", ACCOUNTS, methods=POST),
    Page("/admin/users/{id:int}/reset", pages.user_reset, "admin_user_reset", ACCOUNTS, methods=POST),
    # 安全保密管理员: grants, roles, policy
    Page("/admin/grants", pages.grants_page, "admin_grants", SECURITY),
    Page("/admin/grants/{id:int}", pages.user_grants, "admin_user_grants", SECURITY, methods=BOTH),
    Page("/admin/grants/{id:int}/revoke", pages.grant_revoke, "admin_grant_revoke", SECURITY, methods=POST),
    Page("/admin/roles", pages.roles_page, "admin_roles", SECURITY),
    Page("/admin/policy", pages.policy_page, "admin_policy", SECURITY, methods=BOTH),
    # 安全审计员: read only
    Page("/admin/audit", pages.audit_page, "admin_audit", AUDIT),
    Page("/admin/audit/export", pages.audit_export, "admin_audit_export", AUDIT),
    Page("/admin/audit/verify", pages.audit_verify, "admin_audit_verify", AUDIT),
    Page("/admin/logins", pages.logins_page, "admin_logins", AUDIT),
    Page("/admin/logins/export", pages.logins_export, "admin_logins_export", AUDIT),
]

APIS = [
    Api("/units", api.unit_create, "unit_create", ACCOUNTS, methods=POST, summary="新建单位"),
    Api("/units/{id:int}", api.unit_detail, "unit", ACCOUNTS, summary="单位详情"),
    Api("/units/{id:int}", api.unit_update, "unit_update", ACCOUNTS, methods=("PATCH",), summary="修改单位"),
    Api(
        "/units/{id:int}/deactivate",
        api.unit_deactivate,
        "unit_deactivate",
        ACCOUNTS,
        methods=POST,
        summary="撤销单位",
    ),
    Api(
        "/units/{id:int}/activate",
        api.unit_activate,
        "unit_activate",
        ACCOUNTS,
        methods=POST,
        summary="恢复单位",
    ),
    Api("/users", api.users_list, "users", ACCOUNTS, summary="账号列表"),
    Api(
        "/users", api.user_create, "user_create", ACCOUNTS, methods=POST, summary="新建账号（返回一次性密码）"
    ),
    Api("/users/{id:int}", api.user_detail, "user", ACCOUNTS, summary="账号详情"),
    Api("/users/{id:int}", api.user_update, "user_update", ACCOUNTS, methods=("PATCH",), summary="修改账号"),
    Api(
        "/users/{id:int}/status",
        api.user_status,
        "user_status",
        ACCOUNTS,
        methods=POST,
        summary="更改账号状态",
    ),
    Api(
        "/users/{id:int}/reset-password",
        api.user_reset,
        "user_reset",
        ACCOUNTS,
        methods=POST,
        summary="重置密码（返回一次性密码）",
    ),
    Api("/users/{id:int}/grants", api.grants_list, "grants", SECURITY, summary="账号的角色授权"),
    Api(
        "/users/{id:int}/grants", api.grant_create, "grant_create", SECURITY, methods=POST, summary="授予角色"
    ),
    Api(
        "/users/{id:int}/grants/{grant_id:int}",
        api.grant_delete,
        "grant_delete",
        SECURITY,
        methods=("DELETE",),
        summary="收回角色",
    ),
    Api("/roles", api.roles_list, "roles", SECURITY, summary="角色及其默认权限"),
    Api("/policy", api.policy_get, "policy", SECURITY, summary="安全策略"),
    Api("/policy", api.policy_put, "policy_update", SECURITY, methods=("PUT",), summary="修改安全策略"),
    Api("/audit", api.audit_list, "audit", AUDIT, summary="审计日志"),
    Api("/audit/verify", api.audit_verify, "audit_verify", AUDIT, summary="校验审计日志哈希链"),
    Api("/login-records", api.logins_list, "login_records", AUDIT, summary="登录记录"),
]

ROUTES = [*PAGES, *APIS]

MENU = [
    MenuItem("组织机构", "/admin/units", AREA, ACCOUNTS, order=100),
    MenuItem("用户账号", "/admin/users", AREA, ACCOUNTS, order=110),
    MenuItem("角色授权", "/admin/grants", AREA, SECURITY, order=200),
    MenuItem("角色与权限", "/admin/roles", AREA, SECURITY, order=210),
    MenuItem("安全策略", "/admin/policy", AREA, SECURITY, order=220),
    MenuItem("审计日志", "/admin/audit", AREA, AUDIT, order=300),
    MenuItem("登录记录", "/admin/logins", AREA, AUDIT, order=310),
]

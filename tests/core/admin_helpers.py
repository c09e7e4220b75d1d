"""Shared set-up for the 系统管理 tests: a small bureau, the three administrators and a staff member."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from officium.core.app import OfficiumApp
from officium.core.audit import AuditEntry
from officium.core.identity.models import Unit, User
from officium.testing import add_unit, add_user


@dataclass
class Bureau:
    """Units JYJ (局) → BGS (办公室) → BGS-WS (文书科), and RSC (人事处); users of every kind."""

    bureau: Unit
    office: Unit
    section: Unit
    hr: Unit
    sysadmin: User
    secadmin: User
    auditor: User
    clerk: User
    staff: User


def make_bureau(app: OfficiumApp) -> Bureau:
    """The bureau every admin test starts from."""
    bureau = add_unit(app, "JYJ", "江南局", kind="bureau")
    office = add_unit(app, "BGS", "办公室", parent=bureau)
    section = add_unit(app, "BGS-WS", "文书科", kind="section", parent=office)
    hr = add_unit(app, "RSC", "人事处", parent=bureau)
    return Bureau(
        bureau,
        office,
        section,
        hr,
        add_user(app, "sa", name="系统管理员", roles=["sysadmin"]),
        add_user(app, "sec", name="安全保密管理员", roles=["secadmin"]),
        add_user(app, "aud", name="安全审计员", roles=["auditor"]),
        add_user(app, "zhoujing", name="周静", unit=office, roles=["clerk"]),
        add_user(app, "hujing", name="胡晶", unit=hr),
    )


def field_error(page: str, name: str) -> str:
    """The error shown beside form field ``name`` (empty when there is none)."""
    found = re.search(rf'<p class="field-error" id="f-{re.escape(name)}-error">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


def page_error(page: str) -> str:
    """The page-level error message (empty when there is none)."""
    found = re.search(r'data-testid="page-error">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


def one_time_password(page: str) -> str:
    """The one-time password on a result page."""
    found = re.search(r'data-testid="one-time-password">([^<]+)</code>', page)
    assert found, "no one-time password on the page"
    return found.group(1)


def audit_actions() -> list[str]:
    """Actions of every audit entry, oldest first."""
    return [e.action for e in AuditEntry.select().order_by(AuditEntry.id)]


def last_audit() -> AuditEntry:
    """The newest audit entry."""
    return AuditEntry.select().order_by(AuditEntry.id.desc()).get()

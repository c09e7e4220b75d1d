"""用印 and 套红: the bridge to the seals plugin and the 套红 renderer.

Who applies the seal is the custodian of a seal of the drafting unit (or the bureau), as the seals plugin
records it; seal custody is never delegated.  Without the seals plugin the office's people are named so
that the step has a handler, but the seal itself can only be applied through the seals service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from officium.core.identity.models import RoleGrant, User

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp
    from officium.plugins.docs_outgoing.models import Document


def seals_enabled(app: OfficiumApp) -> bool:
    return any(p.name == "seals" for p in app.plugins)


def custodians(app: OfficiumApp, doc: Document) -> list[User]:
    """The people who may apply a seal to ``doc``."""
    from officium.plugins.docs_outgoing.workflow import OFFICE_ROLE

    return list(
        User.select()
        .join(RoleGrant, on=(RoleGrant.user == User.id))
        .where((RoleGrant.role == OFFICE_ROLE) & (User.status == "active"))
        .order_by(User.id)
        .distinct()
    )


def available(app: OfficiumApp) -> dict[str, Any]:
    """What of the seals/套红 integration this site can do."""
    return {"seals": seals_enabled(app)}

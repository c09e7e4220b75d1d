"""收文编号: one sequence per receiving unit and year, formatted by the site's rule.

The counter row is created if missing (an insert that ignores a conflict, so two first registrations of a
year cannot both create it) and then raised with one ``UPDATE … SET last = last + 1``: PostgreSQL holds the
row's lock until the registration commits, SQLite writes one transaction at a time (``BEGIN IMMEDIATE``),
so two registrations never read the same number.  The unique index on (unit, year, seq) of the documents
is the last guard.  A new year starts a new row, so numbering restarts at 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from officium.core.db import write_transaction
from officium.core.identity.models import Unit
from officium.plugins.docs_incoming.constants import DEFAULT_NUMBER_RULE
from officium.plugins.docs_incoming.models import Counter

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp


def format_number(rule: str, *, year: int, seq: int, unit: Unit) -> str:
    """The rule with ``{year}``, ``{seq}`` and ``{unit}`` filled in; a broken rule falls back to the default."""
    try:
        return rule.format(year=year, seq=seq, unit=unit.code)
    except (KeyError, IndexError, ValueError):
        return DEFAULT_NUMBER_RULE.format(year=year, seq=seq, unit=unit.code)


def next_number(app: OfficiumApp, unit: Unit, year: int) -> tuple[int, str]:
    """Take the unit's next sequence number of ``year``; returns it and the formatted 收文编号."""
    with write_transaction(app.db):
        Counter.insert(unit=unit, year=year, last=0).on_conflict_ignore().execute()
        Counter.update(last=Counter.last + 1).where((Counter.unit == unit) & (Counter.year == year)).execute()
        seq = Counter.get((Counter.unit == unit) & (Counter.year == year)).last
    rule = app.settings("docs_incoming")["number_rule"]
    return seq, format_number(rule, year=year, seq=seq, unit=unit)

"""路程假 for 婚假 and 丧假 (1980 国家劳动总局、财政部通知): travel days by distance, added to the 1–3 days
when the wedding or the funeral is far away.  The person states them; 人事处 checks them in its step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CODES = ("marriage", "bereavement")
MAX_DAYS = 10


def travel_days(code: str, data: Mapping[str, Any]) -> tuple[int, dict[str, str]]:
    """(travel days asked, field errors); always 0 for other types."""
    if code not in CODES:
        return 0, {}
    raw = str(data.get("travel_days") or "0").strip()
    if not raw.isdigit() or int(raw) > MAX_DAYS:
        return 0, {"travel_days": f"路程假应为 0 到 {MAX_DAYS} 天的整数。"}
    return int(raw), {}

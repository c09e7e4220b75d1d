"""Timing pages in-process for the scale benches (bench/todo_bench.py, bench/mail_bench.py).

Each sample user signs in through the real login form; every page is requested once to warm up, then
``repeat`` times and timed.  One test client serves every user, so the site holds one pooled database
connection, as one web worker would (a client per user exhausts a PostgreSQL pool after 20 users).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping

from officium.testing import app_client, login


def time_pages(
    app, usernames: list[str], pages: Mapping[str, str], repeat: int, password: str
) -> dict[str, list[float]]:
    """Milliseconds per request of every page in ``pages`` (name → URL), for each user in turn."""
    timings: dict[str, list[float]] = {name: [] for name in pages}
    with app_client(app) as client:
        for username in usernames:
            client.cookies.clear()
            login(client, username, password)
            for name, url in pages.items():
                response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code} for {username}")
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    response = client.get(url)
                    timings[name].append((time.perf_counter() - t0) * 1000)
                    if response.status_code != 200:
                        raise SystemExit(f"{url} answered {response.status_code} for {username}")
    return timings


def summary(timings: Mapping[str, list[float]]) -> dict[str, tuple[float, float]]:
    """Median and p95 in milliseconds per page."""
    out = {}
    for name, values in timings.items():
        ordered = sorted(values)
        out[name] = (statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)])
    return out

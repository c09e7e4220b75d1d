"""A small scale-out site: two real ``officium serve`` processes (two web nodes, one uvicorn worker each) and
two ``officium worker`` processes, all on ONE PostgreSQL schema and ONE Redis.

Each node has its own site folder holding only a copy of the same ``officium.toml`` (same ``secret``, database,
``files_dir`` on "shared storage" and ``[jobs] redis_url``), so nothing one node keeps on its own disk or in
its memory can make a test pass.  With Redis configured, ``serve`` runs no job consumer of its own; the huey
queue and the job locks are named from the site's secret, so each test site has its own keys in Redis.

These tests carry the ``postgresql`` marker: ``make test-sqlite`` deselects them and the PostgreSQL pass runs
them.  They need Redis at 127.0.0.1:6379 (CI starts it).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from officium.core.app import OfficiumApp
from officium.core.config import SiteConfig
from officium.testing import TEST_DATABASE_ENV, TEST_PASSWORD, add_unit, add_user, close_site, make_site

REDIS_URL = "redis://127.0.0.1:6379/0"
OFFICIUM = str(Path(sys.executable).with_name("officium"))
#: How long a process may take to answer (start-up on a busy 2-core CI box); polled, never slept through.
START_DEADLINE = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], Any], what: str, deadline: float = 30, every: float = 0.1) -> Any:
    """Poll ``check`` until it returns something true; fail naming ``what`` after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline} s waiting for {what}")
        time.sleep(every)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@dataclass
class Node(Process):
    url: str = ""
    app_name: str = ""

    def terminate_connections(self) -> int:
        """What a database restart does to this node: end every PostgreSQL connection it holds."""
        import psycopg

        base = re.sub(r"^postgres(ql)?://", "postgresql://", os.environ[TEST_DATABASE_ENV]).split("?")[0]
        with psycopg.connect(base, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                (self.app_name,),
            ).fetchall()
        return sum(1 for (ended,) in rows if ended)


@dataclass
class Cluster:
    app: OfficiumApp  # the test's own view of the database (assertions only)
    shared_files: Path
    nodes: dict[str, Node] = field(default_factory=dict)
    workers: list[Process] = field(default_factory=list)

    @property
    def a(self) -> str:
        return self.nodes["a"].url

    @property
    def b(self) -> str:
        return self.nodes["b"].url

    def sign_in(self, node: str, username: str) -> tuple[httpx.Client, str]:
        """A browser of ``username`` signed in on ``node``: the client (its one cookie jar goes to every
        node, as a browser's does behind one host name) and the session's CSRF token."""
        client = httpx.Client(follow_redirects=False, timeout=30)
        base = self.nodes[node].url
        token = csrf(client.get(f"{base}/login").text)
        answer = client.post(
            f"{base}/login", data={"username": username, "password": TEST_PASSWORD, "csrf_token": token}
        )
        assert answer.status_code == 303, (username, answer.status_code, answer.text[:300])
        return client, csrf(client.get(f"{base}/password").text)


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:300]
    return found.group(1)


def start(name: str, args: list[str], site: Path, logs: Path, app_name: str = "") -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OFFICIUM_")}
    env["PYTHONUNBUFFERED"] = "1"  # the logs are read while the processes run
    if app_name:  # libpq's application_name: the node's connections can be found in pg_stat_activity
        env["PGAPPNAME"] = app_name
    log = (logs / f"{name}.log").open("wb")
    return subprocess.Popen(
        [OFFICIUM, "--site", str(site), *args], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=site
    )


def start_node(name: str, site: Path, logs: Path, attempt: int = 1) -> Node:
    port = free_port()
    label = f"serve-{name}" if attempt == 1 else f"serve-{name}-{attempt}"
    app_name = f"officium-test-{uuid.uuid4().hex[:12]}"
    popen = start(label, ["serve", "--port", str(port), "--workers", "1"], site, logs, app_name)
    return Node(label, popen, logs / f"{label}.log", f"http://127.0.0.1:{port}", app_name)


def wait_until_serving(node: Node, site: Path, logs: Path) -> Node:
    """Wait for ``/health``; a node whose free port was taken meanwhile (by a parallel test) starts again."""
    for attempt in range(2, 5):
        wait_for(
            lambda node=node: healthy(node.url) or node.popen.poll() is not None,
            f"{node.name} to answer /health",
            deadline=START_DEADLINE,
        )
        if node.popen.poll() is None:
            return node
        if "address already in use" not in node.output():
            break
        node = start_node(node.name.split("-")[1], site, logs, attempt)
    raise AssertionError(f"{node.name} did not start:\n{node.output()}")


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def stop(processes: list[Process]) -> None:
    for process in processes:
        if process.popen.poll() is None:
            process.popen.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            process.popen.wait(timeout=5)


def forget_redis_keys(app: OfficiumApp) -> None:
    import redis

    from officium.core.jobs import queue_name

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"*{queue_name(app)}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"the scale-out tests need Redis at {REDIS_URL}: {exc}", pytrace=False)
    root = tmp_path_factory.mktemp("cluster")
    shared = root / "shared-files"
    shared.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        from argon2 import PasswordHasher

        mp.setattr(
            "officium.core.identity.passwords._HASHER",
            PasswordHasher(time_cost=1, memory_cost=64, parallelism=1),
        )
        # the servers run on the real clock, so the test's own app does too
        app = make_site(root / "node-a", plugins=["change_requests", "mail"], clock=datetime.now)
        seed(app)
    config = root / "node-a" / "officium.toml"
    with config.open("a", encoding="utf-8") as fh:
        fh.write(f'files_dir = "{shared}"\n\n[jobs]\nredis_url = "{REDIS_URL}"\n')
    (root / "node-b").mkdir()
    (root / "node-b" / "officium.toml").write_text(config.read_text(encoding="utf-8"), encoding="utf-8")
    app.config = SiteConfig.load(root / "node-a")
    logs = root / "logs"
    logs.mkdir()
    made = Cluster(app=app, shared_files=shared)
    try:
        for name in ("a", "b"):
            made.nodes[name] = start_node(name, root / f"node-{name}", logs)
        for name in ("a", "b"):  # a worker beside each node: two schedulers race for every periodic job
            popen = start(f"worker-{name}", ["worker"], root / f"node-{name}", logs)
            made.workers.append(Process(f"worker-{name}", popen, logs / f"worker-{name}.log"))
        for name, node in list(made.nodes.items()):
            made.nodes[name] = wait_until_serving(node, root / f"node-{name}", logs)
        for worker in made.workers:
            wait_for(
                lambda worker=worker: (
                    "Huey consumer started" in worker.output() or worker.popen.poll() is not None
                ),
                f"{worker.name} to start its consumer",
                deadline=START_DEADLINE,
            )
            assert worker.popen.poll() is None, worker.output()
        yield made
    finally:
        stop([*made.nodes.values(), *made.workers])
        forget_redis_keys(app)
        close_site(app)


def seed(app: OfficiumApp) -> None:
    """人事处 with its 综合人员 周静 (files change requests) and its 处长 王处长 (approves them); the system
    administrator of 信息化处 handles the requests' second step."""
    ju = add_unit(app, "JU", "江南局", kind="bureau")
    rsc = add_unit(app, "RSC", "人事处", parent=ju)
    add_unit(app, "XXH", "信息化处", parent=ju)
    add_user(app, "zhou", name="周静", unit=rsc, roles=["clerk"])
    add_user(app, "wang", name="王处长", unit=rsc, roles=["leader"])
    add_user(app, "itadmin", name="系统管理员", roles=[("sysadmin", None)])
    add_user(app, "qian", name="钱程", unit=rsc)  # guessed at in the lockout test

"""A real server and a real browser: Debian's chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from officium.core.app import OfficiumApp
from officium.testing import TEST_PASSWORD, close_site, make_site

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving one app in a background thread."""

    def __init__(self, app: OfficiumApp) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app.asgi(), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def plugins() -> list[str]:
    """Installed plugins the live site enables; a test module overrides this fixture to add its own."""
    return []


@pytest.fixture
def extra_plugins() -> list:
    """Uninstalled plugins (``officium.testing.make_plugin``) the live site loads; overridable like ``plugins``."""
    return []


@pytest.fixture
def live_app(tmp_path: Path, plugins: list[str], extra_plugins: list) -> Iterator[OfficiumApp]:
    """A site on SQLite (the browser tests exercise pages, not the database)."""
    saved = os.environ.pop("OFFICIUM_TEST_DATABASE_URL", None)
    try:
        app = make_site(tmp_path / "site", plugins=plugins, extra_plugins=extra_plugins)
    finally:
        if saved is not None:
            os.environ["OFFICIUM_TEST_DATABASE_URL"] = saved
    yield app
    close_site(app)


@pytest.fixture
def live_server(live_app: OfficiumApp) -> Iterator[LiveServer]:
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-gpu",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    """A page the size of a phone screen."""
    context = browser.new_context(viewport={"width": 390, "height": 780}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot under test-artifacts/ (kept by CI) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page, server: LiveServer, username: str, password: str = TEST_PASSWORD) -> None:
    """Sign in through the login form and wait for the dashboard."""
    page.goto(server.url + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(server.url + "/")

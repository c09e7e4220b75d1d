"""``officium serve`` with several workers: its own listening socket (TCP_NODELAY) and the check in a child."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import pytest

from officium.core.web import serving


def accepted_nodelay(sock: socket.socket) -> int:
    """TCP_NODELAY of a connection asyncio accepted on ``sock`` (as each uvicorn worker does)."""

    async def run() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            conn = writer.get_extra_info("socket")
            seen.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(connected, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
            value = await asyncio.wait_for(seen, 5)
            writer.close()
            return value

    # In a thread of its own: a browser test on the same test worker leaves Playwright's loop running in
    # the main thread, where asyncio.run() refuses to start.
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(run())))
    thread.start()
    thread.join(10)
    assert result, "the connection was not accepted"
    return result[0]


def test_the_listening_socket_gives_accepted_connections_tcp_nodelay():
    sock = serving.listening_socket("127.0.0.1", 0)
    assert sock.proto == socket.IPPROTO_TCP
    assert accepted_nodelay(sock) != 0


def test_run_workers_hands_uvicorn_the_socket_it_made(monkeypatch):
    handed: list[Any] = []

    class Supervisor:
        def __init__(self, config: Any, sockets: list[socket.socket]) -> None:
            handed.append((config, sockets))

        def run(self) -> None:
            sock = handed[0][1][0]
            handed.append(sock.proto)

    monkeypatch.setattr("uvicorn.supervisors.Multiprocess", Supervisor)
    serving.run_workers("officium.core.asgi:create_from_env", "127.0.0.1", 0, 2, log_level="info")
    (config, sockets), proto = handed
    assert config.workers == 2 and config.factory
    assert proto == socket.IPPROTO_TCP
    assert sockets[0].fileno() == -1  # closed when the supervisor returned


def test_check_in_child_returns_the_result_or_the_message():
    assert serving.check_in_child(lambda: ["ok", 1]) == ["ok", 1]

    class Refused(Exception):
        def format_message(self) -> str:
            return "数据库结构不是最新。修复：运行 officium db upgrade"

    def refuse() -> None:
        raise Refused

    with pytest.raises(serving.CheckFailed, match="修复：运行 officium db upgrade"):
        serving.check_in_child(refuse)

"""Running uvicorn for ``officium serve``: the listening socket, and the check of a site in a child process.

This module is imported by the supervisor of ``officium serve --workers N``, which serves nothing itself,
so it imports neither the app nor Peewee: the supervisor stays a small process.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import traceback
from collections.abc import Callable
from typing import Any


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A bound, listening TCP socket whose accepted connections get ``TCP_NODELAY``.

    uvicorn binds the socket itself when it runs several workers, with ``proto`` 0; asyncio sets
    ``TCP_NODELAY`` only on accepted sockets whose ``proto`` is ``IPPROTO_TCP``, so with Nagle's algorithm
    left on, the body that h11 sends after the headers waited for the client's delayed ACK: ~40 ms per
    keep-alive answer (uvicorn issue #3149).  This socket is made with ``IPPROTO_TCP`` (and the option is
    set on it as well, which Linux passes on to accepted connections).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(backlog)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def run_workers(app_path: str, host: str, port: int, workers: int, **options: Any) -> None:
    """Serve the ASGI factory ``app_path`` with ``workers`` uvicorn worker processes on our own socket."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(app_path, factory=True, host=host, port=port, workers=workers, **options)
    sock = listening_socket(host, port, config.backlog)
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on http://%s:%d (Press CTRL+C to quit)", host, sock.getsockname()[1]
    )
    try:
        Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


class CheckFailed(Exception):
    """The check in the child process failed; the message says why (and how to fix it)."""


def check_in_child(check: Callable[[], Any]) -> Any:
    """Run ``check`` in a forked child and return its JSON-able result, or raise :class:`CheckFailed`.

    ``officium serve --workers N`` builds the app once to refuse a broken site with the fix before any
    worker starts; doing it in a child keeps the full app (imports, plugins, templates: ~60 MiB) out of
    the supervisor, which then only watches its workers.  ``check`` raising an exception with a
    ``format_message()`` (click's) or any other exception makes the message of :class:`CheckFailed`.
    Without ``os.fork`` (not Linux or macOS) the check runs in this process.
    """
    if not hasattr(os, "fork"):
        ok, value = _outcome(check)
        if not ok:
            raise CheckFailed(value)
        return value
    read, write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe and leave without the parent's clean-ups
        code = 1
        try:
            os.close(read)
            ok, value = _outcome(check)
            with os.fdopen(write, "w", encoding="utf-8") as out:
                json.dump({"ok": ok, "value": value}, out, ensure_ascii=False)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, encoding="utf-8") as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    try:
        report = json.loads(text)
    except ValueError:
        raise CheckFailed("检查站点的子进程意外退出。") from None
    if not report["ok"]:
        raise CheckFailed(report["value"])
    return report["value"]


def _outcome(check: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return True, check()
    except Exception as exc:
        formatter = getattr(exc, "format_message", None)
        message = formatter() if callable(formatter) else "".join(traceback.format_exception(exc))
        return False, message

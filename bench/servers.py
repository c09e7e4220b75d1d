"""Starting and stopping the servers under test, their start-up time, and their processes' RSS and CPU.

Every server is a child process started here and stopped by its own PID (SIGTERM, then SIGKILL for that
PID and the worker PIDs recorded while it ran, never by name).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from loadgen import HOST, check_local

CLK_TCK = os.sysconf("SC_CLK_TCK")
STARTUP_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port nobody listens on at the moment, on the loopback address."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _health_status(port: int, path: str) -> int | None:
    """One blocking GET; the status code, or None when nothing answers yet."""
    try:
        with socket.create_connection((HOST, port), timeout=2) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
            head = sock.recv(64)
    except OSError:
        return None
    parts = head.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def _start_time(pid: int) -> int | None:
    """When the process started (clock ticks since boot), or None if it is gone or a zombie."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else int(fields[19])


def children_of(pid: int) -> list[int]:
    """Every descendant of ``pid`` (scanning /proc, so it works without CONFIG_PROC_CHILDREN)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _read(f"/proc/{entry}/stat")
        if stat is None:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def status_kib(pid: int, key: str) -> int | None:
    """A ``/proc/<pid>/status`` value in KiB (VmRSS, VmHWM)."""
    text = _read(f"/proc/{pid}/status")
    if text is None:
        return None
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def role_of(pid: int, root: int) -> str:
    """What a server process is: the launched process, a uvicorn worker, or a helper."""
    cmdline = (_read(f"/proc/{pid}/cmdline") or "").replace("\0", " ")
    if pid == root:
        return "main"
    if "resource_tracker" in cmdline:
        return "helper"
    return "worker"


@dataclass
class Server:
    """A server under test, running as a child process."""

    name: str
    argv: list[str]
    port: int
    workers: int
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    startup_s: float | None = None
    known_pids: dict[int, int | None] = field(default_factory=dict)

    def start(self) -> float:
        """Launch; return the seconds from launch to the first successful ``GET /health``."""
        check_local(HOST)
        with self.log.open("ab") as out:
            t0 = time.perf_counter()
            self.proc = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
            )
        while True:
            if _health_status(self.port, "/health") == 200:
                self.startup_s = time.perf_counter() - t0
                break
            if self.proc.poll() is not None:
                tail = self.log.read_text(errors="replace").strip().splitlines()[-3:]
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}: "
                    + " / ".join(tail)
                    + f" (log: {self.log})"
                )
            if time.perf_counter() - t0 > STARTUP_TIMEOUT:
                self.stop()
                raise RuntimeError(f"{self.name} did not answer /health within {STARTUP_TIMEOUT} s")
            time.sleep(0.005)
        self.wait_for_workers()
        return self.startup_s

    def wait_for_workers(self, timeout: float = 15.0) -> None:
        """With several workers the first answer may come before all of them are up: wait for them all."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.workers == 1 or len([p for p, r in self.processes() if r == "worker"]) >= self.workers:
                break
            time.sleep(0.05)
        time.sleep(0.3 if self.workers > 1 else 0)  # the last worker's app is built after its fork

    def processes(self) -> list[tuple[int, str]]:
        """(pid, role) of the launched process and its descendants."""
        if self.proc is None:
            return []
        pids = [self.proc.pid, *children_of(self.proc.pid)]
        for pid in pids:
            self.known_pids.setdefault(pid, _start_time(pid))
        return [(pid, role_of(pid, self.proc.pid)) for pid in pids]

    def serving_pids(self) -> list[int]:
        """The processes that answer requests: the workers, or the main process when it is the worker."""
        procs = self.processes()
        workers = [pid for pid, role in procs if role == "worker"]
        return workers or [pid for pid, role in procs if role == "main"]

    def memory(self) -> list[dict]:
        """VmRSS and VmHWM (peak) in MiB of every process of the server."""
        rows = []
        for pid, role in self.processes():
            rss, hwm = status_kib(pid, "VmRSS"), status_kib(pid, "VmHWM")
            if rss is not None:
                rows.append(
                    {
                        "pid": pid,
                        "role": role,
                        "rss_mib": round(rss / 1024, 1),
                        "hwm_mib": round((hwm or 0) / 1024, 1),
                    }
                )
        return rows

    def cpu(self) -> float:
        """CPU seconds used so far by the server's processes."""
        return sum(cpu_seconds(pid) for pid, _ in self.processes())

    def stop(self) -> None:
        """SIGTERM to the launched PID, then SIGKILL to it and its recorded workers if they linger."""
        if self.proc is None:
            return
        self.processes()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        time.sleep(0.2)
        for pid, started in self.known_pids.items():
            # Only a process recorded while the server ran, with the same start time (not a reused PID).
            if started is not None and _start_time(pid) == started:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.proc = None
        self.known_pids = {}


def wait_port_free(port: int, timeout: float = 10.0) -> None:
    """Block until nothing answers on ``port`` (the previous server is really gone)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline and _health_status(port, "/health") is not None:
        time.sleep(0.05)

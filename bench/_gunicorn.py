"""gunicorn for the benches: started on a free loopback port with production settings, stopped by
its PID, and the CPU of its whole process tree (reaped children included) read from /proc."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


BIN = Path(sys.executable).parent

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(*roots: int) -> float:
    """CPU of the processes ``roots`` and all their descendants (from /proc): each one's utime +
    stime, and cutime + cstime, the CPU of its children that ended and were reaped (a recycled
    gunicorn worker, a PostgreSQL backend whose connection closed), which would else be lost."""
    procs: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks = sum(int(fields[n]) for n in (11, 12, 13, 14))
            procs[int(entry)] = (int(fields[1]), ticks / TICK)
    tree, grew = set(roots), True
    while grew:
        new = {pid for pid, (parent, _) in procs.items() if parent in tree and pid not in tree}
        tree |= new
        grew = bool(new)
    return sum(procs[pid][1] for pid in tree if pid in procs)


def free_port() -> int:
    from tests.fixtures import free_port as port

    return port()


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


#: gunicorn.conf.py as production runs it, but without recycling workers (``max_requests``)
#: during a measurement: a worker replaced in a window would take its warm caches with it
CPU_STEADY = {"GUNICORN_CMD_ARGS": "--max-requests 0"}


def start_gunicorn(
    name: str, app: str, *, cwd: Path, env: dict[str, str], config: Path, ready: str, work: Path
) -> Server:
    port = free_port()
    log = work / f"gunicorn-{name}.log"
    out = log.open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [str(BIN / "gunicorn"), "-c", str(config), app],
        cwd=cwd, env={**os.environ, **CPU_STEADY, **env, "ALMEREPAS_BIND": f"127.0.0.1:{port}"},
        stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    server = Server(name, process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} did not start:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", ready)
            conn.getresponse().read()
            conn.close()
            return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not answer within 60 s:\n{log.read_text()[-3000:]}")

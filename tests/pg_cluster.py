"""A throwaway PostgreSQL 15 cluster for the test suite: started on a free loopback port, stopped
by its PID. PostgreSQL refuses to run as root, so as root the server runs as the postgres user.

:func:`start_replica` adds a streaming replica of a running cluster (``pg_basebackup -R``), for
the tests of reports read from a replica (tests/reports/test_replica.py)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("ALMEREPAS_PG_BIN", "/usr/lib/postgresql/15/bin"))


class ClusterUnavailable(RuntimeError):
    pass


@dataclass
class Cluster:
    data_dir: Path
    port: int
    pid: int
    owner: str | None = None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def pause(self) -> None:
        """Shut the server down (fast, SIGINT to the postmaster), keeping its data and port."""
        try:
            os.kill(self.pid, signal.SIGINT)
        except ProcessLookupError:
            return
        for _ in range(200):
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def resume(self) -> None:
        """Start the paused server again on its port, as a database that comes back."""
        _pg_ctl_start(self.data_dir, self.port, self.owner)
        self.pid = int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])

    def stop(self) -> None:
        """Fast shutdown of the server we started, then clean up its folder."""
        self.pause()
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _as_owner(cmd: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *cmd] if owner else cmd


def _server_owner() -> str | None:
    return "postgres" if os.geteuid() == 0 else None


def _base_folder(owner: str | None, prefix: str) -> Path:
    """A new folder for a data folder and its log, owned by the server's user."""
    # Every folder above the data folder must be traversable by the server's user.
    base = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    base.chmod(0o755)
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    return base


def start_cluster() -> Cluster:
    if not (PG_BIN / "initdb").exists():
        raise ClusterUnavailable(f"no PostgreSQL server binaries in {PG_BIN}")
    owner = _server_owner()
    base = _base_folder(owner, "almerepas-pg-")
    data_dir = base / "data"
    port = _free_port()
    log = base / "server.log"
    try:
        subprocess.run(
            _as_owner(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(data_dir),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ],
                owner,
            ),
            check=True,
            capture_output=True,
        )
        _pg_ctl_start(data_dir, port, owner)
    except subprocess.CalledProcessError as exc:
        details = (exc.stderr or b"").decode(errors="replace")
        if log.exists():
            details += log.read_text(errors="replace")
        shutil.rmtree(base, ignore_errors=True)
        raise ClusterUnavailable(f"PostgreSQL did not start: {details}") from exc
    pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    return Cluster(data_dir=data_dir, port=port, pid=pid, owner=owner)


def start_replica(primary_host: str, primary_port: int) -> Cluster:
    """A hot standby of the cluster on ``primary_port``, streaming from it, on a port of its own.

    ``pg_basebackup -R`` copies the running cluster (a fast checkpoint, the WAL streamed beside
    it) and writes standby.signal and primary_conninfo; the cluster's defaults (wal_level replica,
    ten WAL senders, initdb's pg_hba ``replication`` lines for loopback with trust) allow it.
    """
    if not (PG_BIN / "pg_basebackup").exists():
        raise ClusterUnavailable(f"no PostgreSQL server binaries in {PG_BIN}")
    owner = _server_owner()
    base = _base_folder(owner, "almerepas-pg-replica-")
    data_dir = base / "data"
    port = _free_port()
    try:
        subprocess.run(
            _as_owner(
                [
                    str(PG_BIN / "pg_basebackup"),
                    "-h",
                    primary_host,
                    "-p",
                    str(primary_port),
                    "-U",
                    "postgres",
                    "-D",
                    str(data_dir),
                    "-R",
                    "-X",
                    "stream",
                    "--checkpoint=fast",
                    "--no-sync",
                ],
                owner,
            ),
            check=True,
            capture_output=True,
            timeout=300,
        )
        _pg_ctl_start(data_dir, port, owner)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        details = (exc.stderr or b"").decode(errors="replace")
        log = base / "server.log"
        if log.exists():
            details += log.read_text(errors="replace")
        shutil.rmtree(base, ignore_errors=True)
        raise ClusterUnavailable(f"the replica did not start: {details}") from exc
    pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    return Cluster(data_dir=data_dir, port=port, pid=pid, owner=owner)


def _pg_ctl_start(data_dir: Path, port: int, owner: str | None) -> None:
    base = data_dir.parent
    subprocess.run(
        _as_owner(
            [
                str(PG_BIN / "pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(data_dir),
                "-l",
                str(base / "server.log"),
                "-o",
                f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            ],
            owner,
        ),
        check=True,
        capture_output=True,
    )

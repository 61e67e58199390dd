"""A throwaway PostgreSQL cluster for the tests: ``initdb`` + ``pg_ctl`` in a temporary directory.

The server listens on 127.0.0.1 only, on a free port, with password authentication (so the
URLs the tests use carry a password, as in production) and ``fsync=off`` (the tests kill
clients, never the database server). PostgreSQL refuses to run as root, so when the tests run as
root the cluster belongs to the ``postgres`` system user and its commands run through
``runuser -u postgres --`` (or ``su postgres -c``).
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import secrets
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from .helpers import free_port

USER = "screener"


def find_bindir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: on PATH, else Debian's newest."""
    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path))

    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version)][
        ::-1
    ]
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    return None


def run_as() -> tuple[list[str], pwd.struct_passwd | None] | str:
    """How to run the server's commands: a command prefix and the owning user, or why not."""
    if os.geteuid() != 0:
        return [], None
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        return "running as root and there is no 'postgres' user to run PostgreSQL as"
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--"], owner
    if shutil.which("su"):
        return ["su", "postgres", "-s", "/bin/sh", "-c"], owner
    return "running as root and neither runuser nor su is available"


class Cluster:
    """A running PostgreSQL server; :meth:`new_database` gives each test its own database."""

    def __init__(self, bindir: Path, prefix: list[str], owner: pwd.struct_passwd | None) -> None:
        self.bindir, self.prefix = bindir, prefix
        self.base = Path(tempfile.mkdtemp(prefix="screener-pg-"))
        self.base.chmod(0o755)  # the server's own user must reach its data directory
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.password = secrets.token_urlsafe(12)
        self.port = free_port()
        pwfile = self.base / "pw"
        pwfile.write_text(self.password + "\n")
        if owner is not None:
            for path in (self.base, pwfile):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self._run(
            "initdb",
            *("-D", str(self.data), "-U", USER, f"--pwfile={pwfile}"),
            *("--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"),
        )
        pwfile.unlink()
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.base} -c fsync=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            *("-D", str(self.data), "-l", str(self.log), "-w", "-t", "60"),
            *("-o", options, "start"),
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Create an empty database; return its URL."""
        import psycopg

        name = "t_" + secrets.token_hex(6)
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if self.prefix and self.prefix[0] == "su":
            command = [*self.prefix, shlex.join(command)]
        else:
            command = [*self.prefix, *command]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=120, cwd=self.base, check=False
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(
                f"{program} failed ({result.returncode}): {result.stderr.strip()}\n{log}"
            )

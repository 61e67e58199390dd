"""File-system faults for tests: a read-only directory, a tiny file system that fills up, a damaged
SQLite file and one locked by another process.

As root, file modes do not stop writes, so a read-only directory is a read-only bind mount and a
full disk a small tmpfs; without root a read-only directory is made with ``chmod`` and the tiny
file system is skipped (the tests that need one have an injected twin that always runs).
Importable from every test directory (``tests/`` is on ``sys.path`` through its conftest).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(*args: str) -> bool:
    mount = shutil.which("mount")
    if mount is None:
        return False
    result = subprocess.run([mount, *args], capture_output=True, check=False)
    return result.returncode == 0


def _umount(path: Path) -> None:
    umount = shutil.which("umount")
    if umount:
        subprocess.run([umount, "-l", str(path)], capture_output=True, check=False)


@contextmanager
def read_only_directory(path: Path) -> Iterator[Path]:
    """``path`` (an existing directory) read-only inside the block; skip if that cannot be."""
    if os.geteuid() == 0:
        if not _mount("--bind", str(path), str(path)):
            pytest.skip("cannot bind-mount (needs CAP_SYS_ADMIN) to make a read-only directory")
        try:
            if not _mount("-o", "remount,ro,bind", str(path)):
                pytest.skip("cannot remount read-only")
            yield path
        finally:
            _umount(path)
        return
    modes = {p: p.stat().st_mode for p in [path, *path.iterdir()]}
    for item in modes:
        item.chmod(0o555 if item.is_dir() else 0o444)
    try:
        yield path
    finally:
        for item, mode in modes.items():
            item.chmod(mode)


@contextmanager
def small_filesystem(path: Path, size_kib: int) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` KiB mounted on ``path`` (made if missing); root only, else skip."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size_kib}k"
    if os.geteuid() != 0 or not _mount("-t", "tmpfs", "-o", options, "tmpfs", str(path)):
        pytest.skip("a small tmpfs needs root (the injected disk-full test runs everywhere)")
    try:
        yield path
    finally:
        _umount(path)


def fill(directory: Path) -> Path:
    """Fill the file system of ``directory`` with one file; return it (delete it to free)."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                continue
    finally:
        os.close(fd)
    return filler


def damage_header(path: Path) -> None:
    """Overwrite the first 16 bytes of a SQLite file (its magic string): "not a database"."""
    data = bytearray(path.read_bytes())
    data[:16] = b"not sqlite here!"
    path.write_bytes(bytes(data))


def damage_page(path: Path, page: int = 2) -> None:
    """Overwrite the start of one b-tree page of a SQLite file: quick_check finds it."""
    with sqlite3.connect(path) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    start = size * (page - 1)
    assert len(data) >= start + size, "the database has too few pages to damage"
    data[start : start + 64] = bytes(range(64))
    path.write_bytes(bytes(data))


class LockHolder:
    """Another process holding the write lock of a SQLite file (``BEGIN EXCLUSIVE``)."""

    def __init__(self, path: Path) -> None:
        code = (
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            "time.sleep(120)\n"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "locked"

    def __enter__(self) -> LockHolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

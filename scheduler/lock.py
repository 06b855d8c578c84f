"""The data dir's writer lock: one process (the daemon, or `newswatch crawl`) writes the index."""
from __future__ import annotations

import fcntl
import os
from pathlib import Path


class IndexLocked(RuntimeError):
    pass


class DataDirLock:
    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / "writer.lock"
        self._fd: int | None = None

    def acquire(self) -> "DataDirLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip()
            os.close(fd)
            raise IndexLocked(f"the index in {self.path.parent} is held by a running newswatch "
                              f"(pid {holder or 'unknown'}); stop it or use its API") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __enter__(self) -> "DataDirLock":
        """Takes the lock, unless this one already holds it (taken first to fall back on the daemon)."""
        return self if self._fd is not None else self.acquire()

    def __exit__(self, *exc_info) -> None:
        self.release()

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

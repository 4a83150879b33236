"""Start and stop a throwaway redis-server on a free loopback port (tests, benchmarks)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

LOOPBACK = "127.0.0.1"


class RedisServerError(RuntimeError):
    """The local redis-server could not be found, started or reached."""


def free_loopback_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def find_redis_server() -> str:
    """Locate the redis-server binary (``REDIS_SERVER_BIN`` overrides PATH)."""
    explicit = os.environ.get("REDIS_SERVER_BIN")
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise RedisServerError(f"REDIS_SERVER_BIN={explicit!r} is not an executable file")
        return explicit
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.access("/usr/bin/redis-server", os.X_OK) else None
    )
    if found is None:
        raise RedisServerError(
            "redis-server not found on PATH; install the redis-server package "
            "(make sysdeps) or set REDIS_SERVER_BIN"
        )
    return found


def _ping(port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """One redis-server process bound to loopback only, with no persistence.

    ``stop()`` and ``start()`` may be called repeatedly; a restart reuses the same
    port so clients holding the URL reconnect to the new process.
    """

    port: int = field(default_factory=free_loopback_port)
    binary: str = field(default_factory=find_redis_server)
    startup_timeout: float = 10.0
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="hrms-redis-")))
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> RedisServer:
        if self.running:
            return self
        if _ping(self.port):
            raise RedisServerError(f"port {self.port} on {LOOPBACK} is already served by something")
        args = [
            self.binary,
            "--bind", LOOPBACK,
            "--port", str(self.port),
            "--protected-mode", "yes",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.workdir),
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", str(self.workdir / "redis.log"),
        ]  # fmt: skip
        self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode() if self._process.stderr else ""
                self._process = None
                raise RedisServerError(f"redis-server exited during startup: {err.strip()}")
            if _ping(self.port):
                return self
            time.sleep(0.02)
        self.stop()
        raise RedisServerError(
            f"redis-server did not answer PING on {LOOPBACK}:{self.port} "
            f"within {self.startup_timeout:.0f}s"
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if process.stderr is not None:
            process.stderr.close()

    def cleanup(self) -> None:
        """Stop the server and delete its working directory."""
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()


def start_redis(*, port: int | None = None) -> RedisServer:
    """Start a redis-server on ``port`` (a free one by default) and return its handle."""
    server = RedisServer() if port is None else RedisServer(port=port)
    return server.start()

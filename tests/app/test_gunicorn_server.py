"""gunicorn with production settings on loopback, inspected with testinfra."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import testinfra

from scripts.local_services.postgres import free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = [
    pytest.mark.gunicorn,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="checks the privilege drop of a root start"),
]


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[bytes]
    port: int
    static_root: Path
    log: Path
    api_key: str
    token: str

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback only

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    work = Path(tempfile.mkdtemp(prefix="hrms-gunicorn-"))
    work.chmod(0o755)  # workers run as an unprivileged user and read the static files
    static_root = work / "static"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(work),
        "DJANGO_SETTINGS_MODULE": "app.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "STATIC_ROOT": str(static_root),
        "STATIC_COMPRESS": "false",
        "WEB_CONCURRENCY": "3",
        # gunicorn's most talkative level: credentials must stay out of every line of it.
        "GUNICORN_LOG_LEVEL": "debug",
    }
    subprocess.run(
        [str(BIN / "python"), "app/manage.py", "collectstatic", "--noinput", "-v", "0"],
        env=env,
        cwd=REPO,
        check=True,
        timeout=300,
    )
    seeded = subprocess.run(
        [str(BIN / "python"), "app/manage.py", "seed_demo", "--json"],
        env=env,
        cwd=REPO,
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
    )
    # The enterprise tenant: its burst leaves the concurrent-writer test unthrottled.
    demo = json.loads(seeded.stdout)["tenants"][-1]
    # The workers (nobody) write the SQLite database: token use, audit rows.
    subprocess.run(["chown", "-R", "nobody", str(work)], check=True)
    port = free_port()
    log = work / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "app/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    srv = Server(
        process=process,
        port=port,
        static_root=static_root,
        log=log,
        api_key=demo["api_key"],
        token=demo["admin_token"],
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited early:\n{log.read_text()[-3000:]}")
            try:
                if _get(srv.url("/healthz"))[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail(f"gunicorn did not answer in time:\n{log.read_text()[-3000:]}")
        yield srv
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        subprocess.run(["rm", "-rf", str(work)], check=False)


@pytest.fixture(scope="module")
def host() -> testinfra.host.Host:
    return testinfra.get_host("local://")


def test_socket_listens_on_loopback_only(server: Server, host: testinfra.host.Host) -> None:
    assert host.socket(f"tcp://127.0.0.1:{server.port}").is_listening
    assert not host.socket(f"tcp://0.0.0.0:{server.port}").is_listening


def test_master_is_root_and_workers_are_not(server: Server, host: testinfra.host.Host) -> None:
    # Users read with ps directly: with setproctitle installed the process names hold spaces
    # ("gunicorn: master"), which testinfra's whitespace-split process table misreads.
    master = server.process.pid
    assert host.check_output(f"ps -o user= -p {master}").strip() == "root"
    # The server counts as up when one worker answers; the master forks the rest in turn.
    deadline = time.monotonic() + 30

    def worker_users() -> list[str]:
        return host.run(f"ps -o user= --ppid {master}").stdout.split()

    workers = worker_users()
    while len(workers) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = worker_users()
    assert len(workers) == 3, server.log.read_text()[-3000:]
    assert set(workers) == {"nobody"}


def test_healthz_answers(server: Server) -> None:
    status, headers, body = _get(server.url("/healthz"))
    assert status == 200
    assert json.loads(body) == {"status": "ok"}
    assert len(headers["X-Request-ID"]) == 32


def test_static_files_are_served(server: Server) -> None:
    manifest = json.loads((server.static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest["drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"]
    url = server.url(f"/static/{hashed}")
    # Behind the TLS-terminating proxy (X-Forwarded-Proto), the file is served with a
    # far-future cache lifetime; plain HTTP is redirected to HTTPS first.
    status, headers, body = _get(url, {"X-Forwarded-Proto": "https"})
    assert status == 200
    assert "javascript" in headers["Content-Type"]
    assert "max-age=315360000" in headers["Cache-Control"]
    assert len(body) > 100_000
    plain_status, plain_headers, _ = _get(url)
    assert plain_status == 301
    assert plain_headers["Location"].startswith("https://")


def test_access_log_is_json_without_query_strings(server: Server) -> None:
    _get(server.url("/healthz?token=should-not-be-logged"))
    time.sleep(0.5)
    lines = [
        json.loads(line)
        for line in server.log.read_text().splitlines()
        if line.startswith("{") and '"gunicorn.access"' in line
    ]
    assert lines, "access log lines are JSON objects"
    assert all({"path", "status", "duration_ms", "request_id"} <= set(line) for line in lines)
    assert "should-not-be-logged" not in server.log.read_text()


def _log_lines(server: Server) -> list[dict[str, object]]:
    time.sleep(0.5)  # the access line is written after the response
    return [json.loads(line) for line in server.log.read_text().splitlines() if line.strip()]


def test_every_log_line_is_json(server: Server) -> None:
    lines = _log_lines(server)
    assert any(line["logger"] == "gunicorn.error" for line in lines), "gunicorn's own lines"
    assert all({"ts", "level", "logger"} <= set(line) for line in lines)


def test_api_access_line_carries_request_and_tenant_ids(server: Server) -> None:
    headers = {
        "X-API-Key": server.api_key,
        "Authorization": f"Bearer {server.token}",
        "X-Forwarded-Proto": "https",
        "X-Request-ID": "access-line-0001",
    }
    status, response_headers, _ = _get(server.url("/api/v1/employees/"), headers)
    assert status == 200
    request_id = response_headers["X-Request-ID"]
    assert request_id != "access-line-0001"  # the server's own id, not the caller's
    lines = [line for line in _log_lines(server) if line.get("request_id") == request_id]
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    app_lines = [line for line in lines if line["logger"] == "app.request"]
    assert len(access) == 1
    assert len(app_lines) == 1
    assert isinstance(access[0]["tenant_id"], int)
    assert access[0]["tenant_id"] == app_lines[0]["tenant_id"]
    assert app_lines[0]["client_request_id"] == "access-line-0001"


def test_credentials_never_reach_any_log_line(server: Server) -> None:
    """The key and token sent every way a client might: valid, rejected, in the query
    string, in a stray header, and inside a request gunicorn itself refuses."""
    https = {"X-Forwarded-Proto": "https"}
    auth = {"X-API-Key": server.api_key, "Authorization": f"Bearer {server.token}"}
    assert _get(server.url("/api/v1/employees/"), {**https, **auth})[0] == 200
    wrong_tenant = {**auth, "Authorization": f"Bearer {server.token}x"}
    assert _get(server.url("/api/v1/employees/"), {**https, **wrong_tenant})[0] == 401
    query = f"/api/v1/employees/?api_key={server.api_key}&access_token={server.token}"
    assert _get(server.url(query), https)[0] == 401
    stray = {**https, **auth, "User-Agent": f"probe {server.token} {server.api_key}"}
    assert _get(server.url("/api/v1/nowhere/"), stray)[0] == 404
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(
            (
                f"GET /api/v1/employees/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"X-API-Key: {server.api_key}\r\nAuthorization: Bearer {server.token}\r\n"
                f"Bad Header {server.token}: {server.api_key}\r\n\r\n"
            ).encode()
        )
        assert raw.recv(200).startswith(b"HTTP/1.1 400")
    text = server.log.read_text()
    secret_parts = {
        server.api_key,
        server.token,
        *(c.split(".", 1)[1] for c in auth.values() if "." in c),
    }
    leaked = sorted(part for part in secret_parts if part in text)
    assert leaked == []
    assert any(
        line["logger"] == "gunicorn.error" and line["level"] == "DEBUG"
        for line in _log_lines(server)
    )


def _raw(server: Server, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (urllib would refuse some) and parse the one response."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(request)
        data = b""
        while chunk := raw.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        # gunicorn's own refusals: request line over limit_request_line, too many headers,
        # a header over limit_request_field_size, garbage.
        (b"GET /api/v1/employees/?q=" + b"x" * 5000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
        (
            b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + b"".join(b"X-H%d: v\r\n" % i for i in range(120))
            + b"\r\n",
            431,
        ),
        (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"v" * 9000 + b"\r\n\r\n", 431),
        (b"NOT A REQUEST\r\n\r\n", 400),
        # Django's: unknown URL, a Host that is not allowed, a body too large outside DRF
        # (HTTP/1.0: one response, then the connection closes, no chunked framing).
        (
            b"GET /api/v1/nowhere/ HTTP/1.0\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n\r\n",
            404,
        ),
        (b"GET /api/v1/employees/ HTTP/1.0\r\nHost: evil.example\r\n\r\n", 400),
        (
            b"POST /admin/login/ HTTP/1.0\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
            b"Origin: https://127.0.0.1\r\nCookie: csrftoken=" + b"a" * 32 + b"\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 70000\r\n\r\n"
            + b"a="
            + b"x" * 69998,
            413,
        ),
        # A refused CSRF check (the admin's only cookie-based form) is JSON too.
        (
            b"POST /admin/login/ HTTP/1.0\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=b",
            403,
        ),
    ],
    ids=[
        "uri-too-long",
        "too-many-headers",
        "header-too-large",
        "garbage",
        "unknown-url",
        "bad-host",
        "body-too-large",
        "csrf",
    ],
)
def test_every_error_body_is_json(server: Server, request_bytes: bytes, status: int) -> None:
    got, headers, body = _raw(server, request_bytes)
    assert got == status, body[:300]
    assert headers["content-type"] == "application/json"
    assert set(json.loads(body)) == {"detail"}


def _api(server: Server) -> dict[str, str]:
    return {
        "X-API-Key": server.api_key,
        "Authorization": f"Bearer {server.token}",
        "X-Forwarded-Proto": "https",
    }


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/employees/?hired_after=2000-01-01&hired_before=2100-12-31",
        "/api/v1/leave-requests/?starts_after=2000-01-01&ends_before=2100-12-31",
    ],
)
def test_date_filters_work_in_unprivileged_workers(server: Server, path: str) -> None:
    # Date parsing imports the standard library's _strptime on first use; a worker that
    # dropped root cannot read an interpreter installed under /root (pyenv, mode 700).
    # Every worker must answer: ask more times than there are workers.
    statuses = [_get(server.url(path), _api(server))[0] for _ in range(6)]
    assert statuses == [200] * 6, server.log.read_text()[-3000:]


def _post_json(url: str, headers: dict[str, str], body: dict[str, object]) -> int:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url,
        data=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_concurrent_writes_on_sqlite_never_fail(server: Server) -> None:
    """Writers in several workers at once: SQLite waits for its lock instead of a 500."""
    from concurrent.futures import ThreadPoolExecutor

    url = server.url("/api/v1/departments/")
    headers = _api(server)
    run = secrets.token_hex(3)

    def create(i: int) -> int:
        return _post_json(url, headers, {"name": f"Dept {i}", "code": f"C{run}{i}"})

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(create, range(48)))
    assert statuses == [201] * 48, (statuses, server.log.read_text()[-3000:])

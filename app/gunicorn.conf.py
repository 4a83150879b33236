"""gunicorn settings for containers: workers sized from the CPU quota, JSON access logs.

When started as root (e.g. a plain ``gunicorn`` in a debug shell), workers drop to an
unprivileged user; the container image already runs as a non-root user.
"""

from __future__ import annotations

import codecs
import math
import os
import pwd
from datetime import datetime
from pathlib import Path

from app.core import gunicorn_errors


def _cpu_limit() -> float:
    """CPUs this process may use: the cgroup v2 quota if set, else the affinity mask."""
    available = float(len(os.sched_getaffinity(0)))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            return max(0.5, min(available, int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    return available


def _workers() -> int:
    explicit = os.environ.get("WEB_CONCURRENCY")
    if explicit:
        return max(1, int(explicit))
    # The usual 2n+1 for sync workers, capped: each worker holds a DB connection.
    return max(2, min(2 * math.ceil(_cpu_limit()) + 1, 9))


def _drop_to_user() -> str | None:
    if os.geteuid() != 0:
        return None
    name = os.environ.get("GUNICORN_USER", "nobody")
    pwd.getpwnam(name)  # fail at startup, not at fork, if the user is missing
    return name


# Pods listen on all interfaces; local runs pass --bind 127.0.0.1:PORT.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = _workers()
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Kubernetes sends SIGTERM then waits terminationGracePeriodSeconds (30 s by default).
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
# The worker heartbeat file lives in memory; overlay filesystems make it stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
user = _drop_to_user()
group = None if user is None else pwd.getpwnam(user).pw_gid
umask = 0o077
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
logger_class = "app.core.gunicorn_logging.JsonAccessLogger"
# Only the load balancer in front of the pod may set X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
control_socket_disable = True
# Longer request lines are answered 414 and too many or too large headers 431, by
# gunicorn itself; gunicorn_errors makes those bodies JSON like the app's.
limit_request_line = 4094
limit_request_fields = 100
gunicorn_errors.install()
wsgi_app = "app.wsgi:application"
# Import the app once in the master: workers share its memory copy-on-write, a broken
# import fails the start instead of every worker, and modules are loaded before the
# workers give up root.
preload_app = True
# After a root start the workers can import only what the unprivileged user may read; an
# interpreter under a private home (pyenv in /root) hides the stdlib. What the app imports
# lazily is therefore loaded here, while still root: Django's logging of 4xx/5xx
# responses looks up this codec, and date parsing (query filters, bodies) imports and
# primes _strptime on its first call. tests/app/test_lazy_imports.py fails when a request
# path imports any other standard-library module after this point.
codecs.lookup("unicode_escape")
datetime.strptime("2000-01-01", "%Y-%m-%d")

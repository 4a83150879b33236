"""Settings for ``make bench-app``: the local settings, plus the bare baseline view's URL."""

from app.settings.local import *  # noqa: F403

ROOT_URLCONF = "scripts.bench.baseline"

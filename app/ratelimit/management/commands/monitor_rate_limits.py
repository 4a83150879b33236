"""``manage.py monitor_rate_limits``: tenants closest to or over their limits and quota."""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from redis.exceptions import RedisError

from app.ratelimit.backends.redis import redis_client
from app.ratelimit.conf import load_settings
from app.ratelimit.monitor import rate_limit_usage, render_table


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Show tenants by rate-limit pressure: tokens left, daily quota used and 429s in the "
        "last two minutes, read from the Redis limiter."
    )

    def add_arguments(self, parser: CommandParser | ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        parser.add_argument(
            "--watch", type=_positive_int, metavar="N", help="refresh every N seconds"
        )
        parser.add_argument(
            "--top", type=_positive_int, metavar="N", help="show the N most pressed"
        )
        parser.add_argument(
            "--iterations",
            type=_positive_int,
            metavar="N",
            help="with --watch, stop after N refreshes (default: until interrupted)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cfg = load_settings()
        if cfg.backend != "redis" or cfg.redis_url is None:
            raise CommandError(
                f"monitor_rate_limits reads the shared Redis limiter, but "
                f"TENANT_RATELIMIT_BACKEND is {cfg.backend!r}; set REDIS_URL (and the backend "
                f"to 'redis') to monitor"
            )
        client = redis_client(cfg.redis_url, timeout_s=2.0)
        watch: int | None = options["watch"]
        remaining: int | None = options["iterations"] if watch else 1
        try:
            while True:
                rows = rate_limit_usage(
                    client=client, key_prefix=cfg.key_prefix, limit=options["top"]
                )
                if options["json"]:
                    self.stdout.write(json.dumps([r.as_dict() for r in rows], sort_keys=True))
                else:
                    self.stdout.write(render_table(rows), ending="")
                if remaining is not None:
                    remaining -= 1
                    if remaining <= 0:
                        break
                assert watch is not None  # noqa: S101 - only --watch loops
                time.sleep(watch)
        except KeyboardInterrupt:
            pass
        except (OSError, RedisError) as exc:
            raise CommandError(f"cannot read rate-limit state from Redis: {exc}") from exc
        finally:
            client.close()

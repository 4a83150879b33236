"""``python -m scripts.load --scenario NAME``: see ``scripts/load/run.py``."""

# Locust patches the standard library with gevent on import; it must come first.
import locust  # noqa: F401

from scripts.load.run import main

main()

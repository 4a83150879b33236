#!/usr/bin/env python
"""Django's command-line utility for the HRMS app (local settings unless told otherwise)."""

import os
import sys
from pathlib import Path


def main() -> None:
    # Runnable as ``python app/manage.py`` from a clean checkout: ``app`` is a package there.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

"""The `careloop` console command: a thin wrapper over the Django management commands.

`careloop import fhir PATH...` runs the `import` management command, `careloop serve`
runs the development server on 127.0.0.1:8000, and so on; every management command of
every careloop app is reachable (`careloop help` lists them).
"""

from __future__ import annotations

import os
import sys

ALIASES = {
    # --insecure: serve the static files (CSS, htmx) without DEBUG; behind a real web server
    # in production, `careloop collectstatic` and the server's static mapping do this instead
    "serve": ["runserver", "--noreload", "--insecure"],
}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.config.settings")
    from django.core.management import execute_from_command_line

    if args and args[0] in ALIASES:
        rest = args[1:]
        args = ALIASES[args[0]] + (rest or ["127.0.0.1:8000"])
    execute_from_command_line(["careloop", *args])


if __name__ == "__main__":
    main()

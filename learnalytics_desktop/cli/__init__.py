"""The ``learnalytics`` command line: batch work over the same core as the app.

This is a stable contract that scripts and data officers depend on. Each command group
lives in its own module that exposes ``register(subparsers)``; every command's handler
returns a process exit code. Errors the user can fix (a missing file, a bad column) are
reported as one clear line on stderr with exit code 2; rejected statements are data, not
failure.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys

from learnalytics_desktop import __version__

# Command modules, in the order their commands appear in --help.
COMMAND_MODULES = [
    "learnalytics_desktop.cli.ingest_cmds",
    "learnalytics_desktop.cli.analytics_cmds",
    "learnalytics_desktop.cli.intervention_cmds",
    "learnalytics_desktop.cli.privacy_cmds",
    "learnalytics_desktop.cli.demo_cmds",
]


# Options naming a file the command writes data to; "-" writes that data to standard output.
DATA_OPTIONS = ("out", "csv", "report")


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="learnalytics",
        description="Offline learning analytics: import xAPI, score risk, draft interventions, measure impact.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from learnalytics_desktop.core.export import ExportError, use_stdout_for_data
    from learnalytics_desktop.core.store.db import DatabaseError

    # "-" as an output file means standard output; the command's messages then go to stderr.
    to_stdout = any(getattr(args, name, None) == "-" for name in DATA_OPTIONS)
    try:
        with use_stdout_for_data() if to_stdout else contextlib.nullcontext():
            return int(args.func(args) or 0)
    except (UserError, DatabaseError, ExportError, FileNotFoundError) as exc:
        print(f"learnalytics {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"learnalytics {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

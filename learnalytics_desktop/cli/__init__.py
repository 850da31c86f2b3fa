"""The ``learnalytics`` command line: batch work over the same core as the app.

This is a stable contract that scripts and data officers depend on. Each command group
lives in its own module that exposes ``register(subparsers)``; every command's handler
returns a process exit code. Errors the user can fix (a missing file, a bad column) are
reported as one clear line on stderr with exit code 2; rejected statements are data, not
failure.

Anything else that goes wrong (a bug) is caught by a last-resort handler in :func:`main`
(issue 15, finding 18): one line on stderr naming the error and a log file holding the
traceback, and exit code 2, never a traceback on the terminal. Decision: when the program
reading our output goes away (``learnalytics import … --json | head``), the command ends
quietly with exit code 0: the work is done and the reader chose to stop reading.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from pathlib import Path

from learnalytics_desktop import __version__

# Command modules, in the order their commands appear in --help.
COMMAND_MODULES = [
    "learnalytics_desktop.cli.ingest_cmds",
    "learnalytics_desktop.cli.analytics_cmds",
    "learnalytics_desktop.cli.enrolment_cmds",
    "learnalytics_desktop.cli.intervention_cmds",
    "learnalytics_desktop.cli.privacy_cmds",
    "learnalytics_desktop.cli.demo_cmds",
    "learnalytics_desktop.cli.lake_cmds",
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
            code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers, not at exit
        return code
    except (UserError, DatabaseError, ExportError, FileNotFoundError) as exc:
        print(f"learnalytics {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"learnalytics {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except Exception as exc:  # the last resort: one line, the details in a log file
        return _crashed(args.command, exc)


def _silence_stdout() -> None:
    """The reader of our output has gone: send what is still buffered nowhere."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def crash_log_dir() -> Path:
    """Where crash logs go: ``logs`` in the user data folder (``LEARNALYTICS_HOME`` overrides)."""
    from learnalytics_desktop.core.paths import data_dir

    return data_dir() / "logs"


def _crashed(command: str, exc: BaseException) -> int:
    import tempfile
    import time
    import traceback

    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    text = f"learnalytics {__version__} {command}\nargv: {sys.argv!r}\n\n{details}"
    name = f"cli-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    where = None
    for folder_of in (crash_log_dir, lambda: Path(tempfile.gettempdir())):
        try:
            folder = folder_of()
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            where = path
            break
        except Exception:
            continue
    first = (str(exc).splitlines() or [""])[0][:300]
    saved = f"; details in {where}" if where else ""
    try:
        print(
            f"learnalytics {command}: unexpected error: {type(exc).__name__}: {first}{saved}", file=sys.stderr
        )
    except Exception:
        pass
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

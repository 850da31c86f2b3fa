"""Entry script of the frozen ``learnalytics`` command line (absolute imports: PyInstaller runs
it as a script). ``freeze_support`` first: the importer's spawned worker processes start this
executable again, and it must turn them into workers."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from learnalytics_desktop.cli import main

    sys.exit(main())

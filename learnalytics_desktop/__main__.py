"""``python -m learnalytics_desktop`` starts the app (absolute imports: PyInstaller runs this as a script)."""

import sys

from learnalytics_desktop.app import main

if __name__ == "__main__":
    sys.exit(main())

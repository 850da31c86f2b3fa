#!/usr/bin/env bash
# Build the one-folder app and a versioned archive:
#   packaging/build.sh   -> dist/learnalytics-desktop-<version>-<os>-<arch>.tar.gz (.zip on Windows)
# Steps: install the `package` extra (PyInstaller), build with packaging/learnalytics.spec,
# run the frozen app's --self-test offscreen and check it wrote nothing into the app folder,
# write BUILD-INFO.txt, pack the archive. A bundle that fails its self-test is never packed.
#
# Environment (all optional):
#   PYTHON=...            the Python to build with (default .venv/bin/python, made by ./dev)
#   DIST_DIR / WORK_DIR   output and scratch folders (default dist/ and build/)
#   SKIP_INSTALL=1        do not pip-install the `package` extra (it is installed already)
#   SKIP_SELFTEST=1       build and pack without running the self-test (the caller runs it)
#   SIGN_CMD=script       run as `script <app folder>` right after the build, to code-sign the
#                         executables (Windows signtool, macOS codesign) before they are tested
# Windows/macOS: run the same script from Git Bash / Terminal on that system (packaging/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || [ -n "${PYTHON:-}" ] || { ./dev cli --version >/dev/null; PY=.venv/bin/python; }
DIST=${DIST_DIR:-dist}
WORK=${WORK_DIR:-build}
SECONDS=0

if [ "$(uname -s)" = Linux ]; then
  # PyInstaller reads shared-library dependencies with objdump (Debian: binutils) and bundles
  # the shared libpython, which Debian ships apart from its python3 (libpython3.X).
  need=""
  command -v objdump >/dev/null || need="binutils"
  if [ "$("$PY" -c 'import sys; print(sys.base_prefix)')" = /usr ]; then
    lib=libpython$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q "install ok installed" || need="$need $lib"
  fi
  if [ -n "$need" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
    else
      echo "The build needs these packages first: $need" >&2; exit 1
    fi
  fi
fi
[ "${SKIP_INSTALL:-0}" = 1 ] || "$PY" -m pip install -q -e ".[package]"
VERSION=$("$PY" packaging/spec_support.py --version)
OS=$(uname -s | tr '[:upper:]' '[:lower:]'); ARCH=$(uname -m)
case "$OS" in mingw*|msys*|cygwin*) OS=windows ;; esac

echo "Building Learnalytics Desktop $VERSION ($OS-$ARCH) into $DIST ..."
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath "$DIST" --workpath "$WORK" packaging/learnalytics.spec
BUILD_SECONDS=$SECONDS
APP="$DIST/learnalytics-desktop"
BIN="$APP/learnalytics-desktop"
[ -x "$BIN" ] || BIN="$APP/learnalytics-desktop.exe"
[ -d "$DIST/Learnalytics Desktop.app" ] && echo "macOS bundle: $DIST/Learnalytics Desktop.app"
if [ -n "${SIGN_CMD:-}" ]; then
  echo "Signing with $SIGN_CMD ..."
  "$SIGN_CMD" "$APP"
fi

if [ "${SKIP_SELFTEST:-0}" != 1 ]; then
  echo "Running the frozen self-test ..."
  listing() { (cd "$APP" && find . -print0 | sort -z | xargs -0 stat -c '%n %s %Y' 2>/dev/null || find . | sort); }
  before=$(listing)
  home=$(mktemp -d)
  # through a pipe: a windowed .exe has no console; like pythonw it can write to a pipe (not yet
  # checked on Windows). pipefail keeps its exit code.
  QT_QPA_PLATFORM=offscreen LEARNALYTICS_HOME="$home" "$BIN" --self-test | cat
  rm -rf "$home"
  if [ "$before" != "$(listing)" ]; then
    echo "FAIL: the self-test changed the app folder (nothing may be written beside the executable):" >&2
    diff <(echo "$before") <(listing) >&2 || true
    exit 1
  fi
  echo "ok   the app folder is unchanged after the self-test"
fi

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ "$COMMIT" != unknown ] && ! git diff --quiet HEAD -- 2>/dev/null; then COMMIT="$COMMIT (with local changes)"; fi
cat > "$APP/BUILD-INFO.txt" <<EOF
Learnalytics Desktop $VERSION
built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $OS-$ARCH
commit $COMMIT
$("$PY" -c "import sys, PyInstaller, PySide6; print(f'Python {sys.version.split()[0]}, PyInstaller {PyInstaller.__version__}, PySide6 {PySide6.__version__}')")
EOF

NAME=learnalytics-desktop-$VERSION-$OS-$ARCH
if [ "$OS" = windows ]; then
  ARCHIVE="$DIST/$NAME.zip"
  (cd "$DIST" && powershell -NoProfile -Command "Compress-Archive -Force learnalytics-desktop $NAME.zip")
else
  ARCHIVE="$DIST/$NAME.tar.gz"
  tar -C "$DIST" -czf "$ARCHIVE" learnalytics-desktop
fi
SIZE=$(du -sm "$APP" | cut -f1)
PACKED=$(( $(wc -c < "$ARCHIVE") / 1048576 ))
echo "built $ARCHIVE in ${BUILD_SECONDS} s (PyInstaller), ${SECONDS} s in all: ${SIZE} MiB unpacked, ${PACKED} MiB archive"

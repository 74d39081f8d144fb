#!/usr/bin/env bash
# Installs Debian's `chromium` package (headless browser used by the HTML-report screenshot test) when
# /usr/bin/chromium is missing. Idempotent: does nothing when Chromium is already installed.
# Needs root (CI and the development machines run as root) and access to Debian's package mirror.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "install-chromium: $CHROMIUM is already installed ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))."
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "install-chromium: $CHROMIUM is missing and this script is not running as root (and sudo is not available)." >&2
        exit 1
    fi
else
    SUDO=
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium: $CHROMIUM is missing and apt-get is not available (a Debian-based system is required)." >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-chromium: installing Debian's chromium package…"
$SUDO apt-get update -q
$SUDO apt-get install -y -q chromium

if [ ! -x "$CHROMIUM" ]; then
    echo "install-chromium: apt-get finished but $CHROMIUM does not exist." >&2
    exit 1
fi

echo "install-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)."

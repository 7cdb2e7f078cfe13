#!/usr/bin/env bash
# Makes sure what the test suite talks to is there: PostgreSQL on 127.0.0.1:5432 and Debian's
# Chromium + ChromeDriver for the console walk-through. Fails loudly if either cannot be had.
set -euo pipefail

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432 || { echo "FATAL: PostgreSQL could not be started" >&2; exit 1; }
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "Installing Debian's chromium and chromium-driver for the console tests"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
  [ -x /usr/bin/chromium ] || { echo "FATAL: chromium could not be installed" >&2; exit 1; }
fi

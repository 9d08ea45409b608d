#!/usr/bin/env bash
# Installs what a fresh machine lacks for Tongban: system packages (Java 17, Maven,
# PostgreSQL, Chromium and its driver), the Python venv with pinned dependencies, and the
# Kafka jars. Safe to run again: each step checks before it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need+=(maven)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v turnserver >/dev/null || need+=(coturn)  # the window's TURN test
if [ "${TONGBAN_NO_BROWSER:-0}" != 1 ]; then
  command -v chromium >/dev/null || need+=(chromium)
  command -v chromedriver >/dev/null || need+=(chromium-driver)
  # the consoles are Chinese first: without a CJK font the browser tests see empty boxes
  [ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need+=(fonts-wqy-zenhei)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "==> apt-get install ${need[*]}"
  if [ "$(id -u)" != 0 ]; then echo "need root to install ${need[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian's postgresql package starts a system cluster; Tongban runs its own.
  if [[ " ${need[*]} " == *" postgresql "* ]]; then
    service postgresql stop >/dev/null 2>&1 || true
  fi
  if [[ " ${need[*]} " == *" coturn "* ]]; then  # likewise: the test starts its own
    service coturn stop >/dev/null 2>&1 || true
  fi
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum requirements.lock pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "==> installing Python dependencies (requirements.lock)"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.lock
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
  rm -f .venv/.installed-*
  touch "$stamp"
fi

echo "==> Kafka jars (Maven, cached in ~/.m2)"
.venv/bin/python -c "from tools.engines import ensure_kafka_jars; ensure_kafka_jars()"
bash deploycheck/build_tools.sh >/dev/null  # the deploy checks' tools (tests/deploy): built once, cached
.venv/bin/python -c "from tools.engines import ensure_weed; ensure_weed()"  # S3 server for intake's tests

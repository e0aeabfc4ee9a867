#!/usr/bin/env bash
# Validates compose.yaml against the Compose specification's JSON schema
# (no Docker engine runs here, so `docker compose config` cannot), then
# against the Dockerfile (targets, users, volumes, commands) and the
# Prometheus and RabbitMQ files (scripts/check-compose-images.py), and the
# Prometheus configuration with promtool.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${KFARM_TOOLS_DIR:-/tmp/kfarm-tools}"
if ! "$TOOLS/venv/bin/check-jsonschema" --version 2>/dev/null | grep -q "0.39.0"; then
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install -q "check-jsonschema==0.39.0"
fi
"$TOOLS/venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec compose.yaml
# check-jsonschema brings ruamel.yaml, which the script reads YAML with.
"$TOOLS/venv/bin/python" scripts/check-compose-images.py compose.yaml Dockerfile
# The Prometheus service's scrape configuration (promtool from Debian's prometheus package).
promtool check config deploy/prometheus/prometheus.yml

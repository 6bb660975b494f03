#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry (versions in package.json).
# Only needed when upgrading; the copies in static/vendor/ are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
version=$(python3 -c 'import json; print(json.load(open("package.json"))["dependencies"]["htmx.org"])')
(cd "$tmp" && npm pack "htmx.org@$version" --silent >/dev/null && tar xzf htmx.org-*.tgz)
mkdir -p static/vendor/htmx
cp "$tmp/package/dist/htmx.min.js" static/vendor/htmx/htmx.min.js
cp "$tmp/package/LICENSE" static/vendor/htmx/LICENSE 2>/dev/null || true
echo "htmx $version vendored"

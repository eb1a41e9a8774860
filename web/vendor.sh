#!/usr/bin/env sh
# Refresh the vendored front-end libraries in web/static/web/vendor/ from the npm registry.
#
# Only needed to change a version: edit web/package.json (exact versions), then run `sh web/vendor.sh`
# and commit web/package-lock.json and web/static/web/vendor/. The vendored files are committed, so
# `make run` and `make test` need Python only (no node, no CDN). Needs node and npm.
set -eu
cd "$(dirname "$0")"
npm ci --ignore-scripts --no-audit --no-fund
out=static/web/vendor
rm -rf "$out"
mkdir -p "$out/htmx" "$out/leaflet/images" "$out/leaflet-draw/images" "$out/axe-core"
cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE "$out/htmx/"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/LICENSE "$out/leaflet/"
cp node_modules/leaflet/dist/images/*.png "$out/leaflet/images/"
cp node_modules/leaflet-draw/dist/leaflet.draw.js node_modules/leaflet-draw/dist/leaflet.draw.css "$out/leaflet-draw/"
cp node_modules/leaflet-draw/dist/images/* "$out/leaflet-draw/images/"
cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE "$out/axe-core/"
for pkg in htmx.org leaflet leaflet-draw axe-core; do
    printf '%s %s\n' "$pkg" "$(node -p "require('./node_modules/$pkg/package.json').version")"
done > "$out/VERSIONS"
cat "$out/VERSIONS"

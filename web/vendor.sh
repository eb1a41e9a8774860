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
# The 73 member communes of the CU Grand Paris Seine et Oise (EPCI 200059889): INSEE codes, names, SIRENs,
# populations and postal codes, for the demo territory and the commune checks (no node at run time).
mkdir -p ../directory/data
node -e '
const data = "./node_modules/@etalab/decoupage-administratif/data/";
const epci = require(data + "epci.json").find((e) => e.code === "200059889");
const communes = new Map(require(data + "communes.json")
  .filter((c) => c.type === "commune-actuelle").map((c) => [c.code, c]));
const version = require("./node_modules/@etalab/decoupage-administratif/package.json").version;
const members = epci.membres.map((m) => ({
  insee: m.code, name: m.nom, siren: m.siren, population: m.populationMunicipale,
  population_total: m.populationTotale, postal_codes: (communes.get(m.code) || {}).codesPostaux || [],
}));
process.stdout.write(JSON.stringify({
  source: "@etalab/decoupage-administratif " + version + " (data/epci.json, data/communes.json), Licence Ouverte 2.0",
  epci: { siren: epci.code, name: epci.nom }, communes: members,
}, null, 1) + "\n");
' > ../directory/data/gpseo-communes.json
for pkg in htmx.org leaflet leaflet-draw axe-core; do
    printf '%s %s\n' "$pkg" "$(node -p "require('./node_modules/$pkg/package.json').version")"
done > "$out/VERSIONS"
cat "$out/VERSIONS"

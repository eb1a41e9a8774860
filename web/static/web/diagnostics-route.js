/* Drawing a diagnostic's route: each tap on the map adds a point; the textarea of the form (one point
   per line, "latitude longitude") is the route, typed or drawn, and the map follows it. */
(function () {
  "use strict";

  function parse(text) {
    return text.split("\n").map(function (line) {
      var parts = line.trim().replace(/;/g, " ").split(/\s+/);
      if (parts.length !== 2) return null;
      var lat = Number(parts[0].replace(",", ".")), lon = Number(parts[1].replace(",", "."));
      return isFinite(lat) && isFinite(lon) ? L.latLng(lat, lon) : null;
    }).filter(Boolean);
  }

  function init() {
    var el = document.getElementById("route-map");
    if (!el || typeof L === "undefined") return;
    var input = document.getElementById(el.dataset.pointsInput);
    var node = document.getElementById(el.dataset.config);
    var config = node ? JSON.parse(node.textContent) : {};
    var map = L.map(el).setView([48.99, 1.70], 14);
    if (config.tileUrl) L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 19 }).addTo(map);
    if (config.focus && config.focus.bounds) map.fitBounds(config.focus.bounds, { padding: [10, 10] });
    var line = L.polyline([], { color: "#00589b", weight: 4 }).addTo(map);
    function fromInput() { line.setLatLngs(parse(input.value)); }
    function toInput() {
      input.value = line.getLatLngs().map(function (p) { return p.lat.toFixed(6) + " " + p.lng.toFixed(6); }).join("\n");
    }
    fetch(el.dataset.layersUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      L.geoJSON(data, { interactive: false, style: { color: "#b3261e", weight: 2, fillOpacity: 0.08 } }).addTo(map);
    }).catch(function () {});
    map.on("click", function (event) { line.addLatLng(event.latlng); toInput(); });
    document.getElementById("route-undo").addEventListener("click", function () {
      var points = line.getLatLngs(); points.pop(); line.setLatLngs(points); toInput();
    });
    document.getElementById("route-clear").addEventListener("click", function () { line.setLatLngs([]); toInput(); });
    input.addEventListener("change", fromInput);
    fromInput();
    if (line.getLatLngs().length > 1) map.fitBounds(line.getBounds(), { padding: [20, 20] });
    el.dataset.mapLoaded = "1";
  }

  document.addEventListener("DOMContentLoaded", init);
})();

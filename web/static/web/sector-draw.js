/* Drawing a sub-sector procedure's perimeter (Leaflet + the vendored Leaflet.draw): the polygon drawn
   (or edited) is written as GeoJSON into the field named by data-target, which stays the way to give it
   without the map (typed, pasted or imported). Territory layers come from data-layers-url as context.

   <div class="map" data-sector-draw data-config="ID of the json_script config" data-target="field id"
        data-layers-url="GeoJSON of territory layers"> */
(function () {
  "use strict";

  function start(el) {
    if (!window.L || !L.Control || !L.Control.Draw) return;
    var config = JSON.parse(document.getElementById(el.dataset.config).textContent || "{}");
    var field = document.getElementById(el.dataset.target);
    var map = L.map(el, { zoomSnap: 0.5 }).setView([48.99, 1.85], 11);
    if (config.tileUrl) L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "" }).addTo(map);
    var drawn = new L.FeatureGroup().addTo(map);
    if (el.dataset.layersUrl) {
      fetch(el.dataset.layersUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (collection) {
          var context = L.geoJSON(collection, {
            style: { color: "#4a4a4a", weight: 1, fillOpacity: 0.04 }, interactive: false
          }).addTo(map);
          if (!drawn.getLayers().length && context.getBounds().isValid()) map.fitBounds(context.getBounds());
        });
    }
    function write() {
      var layers = drawn.getLayers();
      field.value = layers.length ? JSON.stringify(layers[layers.length - 1].toGeoJSON().geometry) : "";
      field.dispatchEvent(new Event("change"));
    }
    function readField() {
      drawn.clearLayers();
      try {
        var geometry = JSON.parse(field.value);
        var layer = L.geoJSON(geometry).getLayers()[0];
        if (layer) { drawn.addLayer(layer); map.fitBounds(layer.getBounds()); }
      } catch (e) { /* not GeoJSON (yet): the server says what is wrong */ }
    }
    map.addControl(new L.Control.Draw({
      draw: { polygon: { allowIntersection: false, showArea: false }, polyline: false, rectangle: true,
              circle: false, marker: false, circlemarker: false },
      edit: { featureGroup: drawn }
    }));
    map.on(L.Draw.Event.CREATED, function (event) { drawn.clearLayers(); drawn.addLayer(event.layer); write(); });
    map.on(L.Draw.Event.EDITED, write);
    map.on(L.Draw.Event.DELETED, write);
    if (field.value) readField();
    field.addEventListener("input", readField);
    el.dataset.ready = "1";
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-sector-draw]"), start);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

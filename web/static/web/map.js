/* GUP maps: Leaflet (vendored) with vector layers on a plain background, or on tiles when the server
   names a tile server (settings.MAP_TILE_URL). No request leaves the site otherwise.

   <div class="map" data-map
        data-config="ID of a json_script with {tileUrl, tileAttribution}"
        data-layers-url="GeoJSON of territory layers (optional)"
        data-points-url="GeoJSON of points, properties {label, url, urgent} (optional)"
        data-points="ID of a script element holding such GeoJSON inline (optional)"
        data-point="lon,lat of one point to show (optional)"
        data-pick-lon="ID of the longitude input" data-pick-lat="ID of the latitude input" (optional)>
   Everything a map shows is also given as text on the page; the map is an extra, never the only way. */
(function () {
  "use strict";

  var STYLES = {
    communes: { color: "#4a4a4a", weight: 2, fillOpacity: 0.03, dashArray: "4 4" },
    qpv: { color: "#b3261e", weight: 2, fillOpacity: 0.12 },
    sectors: { color: "#00589b", weight: 2, fillOpacity: 0.06 },
    zones: { color: "#6b3fa0", weight: 1, fillOpacity: 0.08 },
    subsectors: { color: "#c25e00", weight: 2, fillOpacity: 0.18 },
    landlord_land: { color: "#1b7a3a", weight: 1, fillOpacity: 0.25 }
  };
  var DEFAULT_VIEW = { center: [48.99, 1.85], zoom: 11 };

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value == null ? "" : String(value);
    return span.innerHTML;
  }

  function popupFor(props) {
    var lines = ["<strong>" + text(props.name || props.label || props.code) + "</strong>"];
    if (props.layerLabel) lines.push(text(props.layerLabel));
    ["commune", "unit", "owner", "delegatedManager", "shares", "status"].forEach(function (key) {
      if (props[key]) lines.push(text(props[key]));
    });
    if (props.url) lines.push('<a href="' + encodeURI(props.url) + '">' + text(props.linkText || props.url) + "</a>");
    return lines.join("<br>");
  }

  function readConfig(el) {
    var node = el.dataset.config && document.getElementById(el.dataset.config);
    return node ? JSON.parse(node.textContent) : {};
  }

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + url);
        return response.json();
      });
  }

  function setupPicker(el, map) {
    var lon = document.getElementById(el.dataset.pickLon);
    var lat = document.getElementById(el.dataset.pickLat);
    if (!lon || !lat) return;
    var marker = null;
    function place(latlng, fromMap) {
      if (!marker) {
        marker = L.marker(latlng, { keyboard: false, title: el.dataset.pickTitle || "" }).addTo(map);
      } else {
        marker.setLatLng(latlng);
      }
      if (fromMap) {
        lon.value = latlng.lng.toFixed(6);
        lat.value = latlng.lat.toFixed(6);
        lat.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
    function fromInputs() {
      var x = parseFloat(lon.value), y = parseFloat(lat.value);
      if (isFinite(x) && isFinite(y)) place(L.latLng(y, x), false);
    }
    map.on("click", function (event) { place(event.latlng, true); });
    lon.addEventListener("change", fromInputs);
    lat.addEventListener("change", fromInputs);
    fromInputs();
    if (marker) map.setView(marker.getLatLng(), 15);
  }

  function init(el) {
    if (el.dataset.mapReady) return;
    el.dataset.mapReady = "1";
    var config = readConfig(el);
    var picking = Boolean(el.dataset.pickLon);
    var map = L.map(el, { attributionControl: Boolean(config.tileUrl) }).setView(DEFAULT_VIEW.center, DEFAULT_VIEW.zoom);
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    var overlays = {};
    var bounds = L.latLngBounds([]);
    var pointBounds = null;  // when there are points, the view fits them (the shapes are context)
    var pending = [];
    if (el.dataset.layersUrl) {
      pending.push(fetchJson(el.dataset.layersUrl).then(function (collection) {
        var groups = {};
        collection.features.forEach(function (feature) {
          var key = feature.properties.layer;
          if (!groups[key]) groups[key] = { label: feature.properties.layerLabel || key, features: [] };
          groups[key].features.push(feature);
        });
        Object.keys(groups).forEach(function (key) {
          var layer = L.geoJSON({ type: "FeatureCollection", features: groups[key].features }, {
            style: STYLES[key] || { color: "#333", weight: 1 },
            interactive: !picking,  // when placing a point, a click on a shape places the point
            onEachFeature: function (feature, item) { item.bindPopup(popupFor(feature.properties)); }
          }).addTo(map);
          overlays[groups[key].label] = layer;
          bounds.extend(layer.getBounds());
        });
      }));
    }
    var inlinePoints = el.dataset.points && document.getElementById(el.dataset.points);
    var points = inlinePoints ? Promise.resolve(JSON.parse(inlinePoints.textContent))
      : el.dataset.point ? Promise.resolve(pointCollection(el.dataset.point))
      : el.dataset.pointsUrl ? fetchJson(el.dataset.pointsUrl) : null;
    if (points) {
      pending.push(points.then(function (collection) {
        var layer = L.geoJSON(collection, {
          pointToLayer: function (feature, latlng) {
            var urgent = feature.properties.urgent;
            return L.circleMarker(latlng, {
              radius: urgent ? 8 : 6, color: urgent ? "#b3261e" : "#00589b", weight: 2, fillOpacity: 0.7
            });
          },
          onEachFeature: function (feature, item) { item.bindPopup(popupFor(feature.properties)); }
        }).addTo(map);
        overlays[el.dataset.pointsLabel || "Points"] = layer;
        if (collection.features.length) pointBounds = layer.getBounds();
      }));
    }
    Promise.all(pending).then(function () {
      if (Object.keys(overlays).length > 1) L.control.layers(null, overlays, { collapsed: false }).addTo(map);
      var target = pointBounds && pointBounds.isValid() ? pointBounds : bounds;
      if (target.isValid() && !el.dataset.pickLon) map.fitBounds(target, { padding: [20, 20], maxZoom: 16 });
      if (el.dataset.pickLon && !document.getElementById(el.dataset.pickLon).value && bounds.isValid()) {
        map.fitBounds(bounds, { padding: [10, 10] });
      }
      el.dataset.mapLoaded = "1";
    }).catch(function (error) {
      el.dataset.mapError = String(error);
    });
    setupPicker(el, map);
  }

  function pointCollection(text) {
    var lonLat = text.split(",").map(Number);
    return { type: "FeatureCollection", features: [
      { type: "Feature", geometry: { type: "Point", coordinates: lonLat }, properties: {} }
    ] };
  }

  function initAll(root) {
    (root || document).querySelectorAll("[data-map]").forEach(init);
  }
  document.addEventListener("DOMContentLoaded", function () { initAll(document); });
  document.addEventListener("htmx:load", function (event) { initAll(event.target); });
})();

/* GUP maps: Leaflet (vendored) with vector layers on a plain background, or on tiles when the server
   names a tile server (settings.MAP_TILE_URL). No request leaves the site otherwise.

   <div class="map" data-map
        data-config="ID of a json_script with {tileUrl, tileAttribution}"
        data-layers-url="GeoJSON of territory layers (optional)"
        data-points-url="GeoJSON of points, properties {label, url, urgent} (optional)"
        data-points="ID of a script element holding such GeoJSON inline (optional)"
        data-point="lon,lat of one point to show (optional)"
        data-pick-lon="ID of the longitude input" data-pick-lat="ID of the latitude input" (optional)
        data-pick-status="ID of an element told which commune the point is in" (optional, with
          data-in-text / data-outside-text: "{commune}" is replaced by its name)
        data-search="ID of the address-search box (a form-less group: input, button, result list)"
        data-search-url="GeoJSON of places for ?q=" data-search-address="ID of the address input">
   config.focus {layer, code, name, bounds}: the map opens on that perimeter and outlines it.
   Communes and QPV are labelled. Everything a map shows is also given as text on the page; the map is
   an extra, never the only way. */
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
  var FOCUS_STYLE = { color: "#00589b", weight: 4, fillOpacity: 0.04, dashArray: null };
  var LABELLED = { communes: true, qpv: true };
  var DEFAULT_VIEW = { center: [48.99, 1.85], zoom: 11 };

  function insideRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function contains(geometry, lon, lat) {
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates]
      : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
    return polygons.some(function (rings) {
      return insideRing(lon, lat, rings[0]) && !rings.slice(1).some(function (hole) { return insideRing(lon, lat, hole); });
    });
  }

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

  function readNumber(input) {
    var raw = input.value.trim();
    if ((raw.match(/,/g) || []).length > 1 || (raw.indexOf(",") >= 0 && raw.indexOf(".") >= 0)) return NaN;
    return raw === "" ? NaN : Number(raw.replace(",", "."));  // a decimal comma, as the server reads it
  }

  function setupPicker(el, map, communes) {
    var lon = document.getElementById(el.dataset.pickLon);
    var lat = document.getElementById(el.dataset.pickLat);
    if (!lon || !lat) return null;
    var status = el.dataset.pickStatus && document.getElementById(el.dataset.pickStatus);
    var focus = readConfig(el).focus;
    var marker = null;
    function tell(latlng) {
      if (!status) return;
      var found = communes.filter(function (feature) {
        return contains(feature.geometry, latlng.lng, latlng.lat);
      })[0];
      if (!found) { status.textContent = ""; return; }
      var outside = focus && found.properties.code !== focus.code;
      status.textContent = (outside ? el.dataset.outsideText : el.dataset.inText || "{commune}").replace("{commune}", found.properties.name);
      status.classList.toggle("errors", Boolean(outside));
    }
    function place(latlng, fromMap) {
      if (!marker) {
        marker = L.marker(latlng, { keyboard: false, title: el.dataset.pickTitle || "" }).addTo(map);
      } else {
        marker.setLatLng(latlng);
      }
      el.dataset.markerLat = latlng.lat.toFixed(6);
      el.dataset.markerLon = latlng.lng.toFixed(6);
      if (fromMap) {
        lon.value = latlng.lng.toFixed(6);
        lat.value = latlng.lat.toFixed(6);
        lat.dispatchEvent(new Event("change", { bubbles: true }));
      }
      tell(latlng);
    }
    function fromInputs() {
      var x = readNumber(lon), y = readNumber(lat);
      if (isFinite(x) && isFinite(y)) place(L.latLng(y, x), false);
    }
    map.on("click", function (event) { place(event.latlng, true); });
    lon.addEventListener("change", fromInputs);
    lat.addEventListener("change", fromInputs);
    fromInputs();
    if (marker) map.setView(marker.getLatLng(), 15);
    return { place: place, refresh: fromInputs, hasPoint: function () { return Boolean(marker); } };
  }

  function setupSearch(el, map, picker) {
    var box = el.dataset.search && document.getElementById(el.dataset.search);
    if (!box || !picker || !el.dataset.searchUrl) return;
    var input = box.querySelector("input");
    var button = box.querySelector("button");
    var list = box.querySelector("ul");
    var note = box.querySelector("[data-search-note]");
    var address = el.dataset.searchAddress && document.getElementById(el.dataset.searchAddress);
    box.hidden = false;
    function choose(feature) {
      var c = feature.geometry.coordinates;
      picker.place(L.latLng(c[1], c[0]), true);
      map.setView([c[1], c[0]], feature.properties.kind === "communes" ? 14 : 16);
      if (address && !address.value && feature.properties.address) address.value = feature.properties.address;
      list.innerHTML = "";
      note.textContent = feature.properties.label;
    }
    function search() {
      var query = input.value.trim();
      if (query.length < 2) return;
      note.textContent = box.dataset.searchingText || "";
      fetchJson(el.dataset.searchUrl + "?q=" + encodeURIComponent(query)).then(function (collection) {
        list.innerHTML = "";
        note.textContent = collection.features.length ? "" : box.dataset.noneText || "";
        collection.features.forEach(function (feature) {
          var item = document.createElement("li");
          var choice = document.createElement("button");
          choice.type = "button";
          choice.className = "secondary";
          choice.textContent = feature.properties.label;
          choice.addEventListener("click", function () { choose(feature); });
          item.appendChild(choice);
          list.appendChild(item);
        });
      }).catch(function () { note.textContent = box.dataset.errorText || ""; });
    }
    button.addEventListener("click", search);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); search(); }  // never submits the filing form
    });
  }

  function init(el) {
    if (el.dataset.mapReady) return;
    el.dataset.mapReady = "1";
    var config = readConfig(el);
    var focus = config.focus;
    var picking = Boolean(el.dataset.pickLon);
    var map = L.map(el, { attributionControl: Boolean(config.tileUrl) }).setView(DEFAULT_VIEW.center, DEFAULT_VIEW.zoom);
    el.gupMap = map;  // for a page's own script that draws on the map (e.g. the route being recorded)
    if (focus && focus.bounds) {
      map.fitBounds(focus.bounds, { padding: [10, 10] });
      el.dataset.focus = focus.code;
    }
    var communeFeatures = [];
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
          if (key === "communes") communeFeatures.push.apply(communeFeatures, groups[key].features);
          var layer = L.geoJSON({ type: "FeatureCollection", features: groups[key].features }, {
            style: function (feature) {
              var style = STYLES[key] || { color: "#333", weight: 1 };
              var focused = focus && feature.properties.layer === focus.layer && feature.properties.code === focus.code;
              return focused ? L.extend({}, style, FOCUS_STYLE) : style;
            },
            interactive: !picking,  // when placing a point, a click on a shape places the point
            onEachFeature: function (feature, item) {
              item.bindPopup(popupFor(feature.properties));
              if (LABELLED[key]) {
                item.bindTooltip(feature.properties.name, {
                  permanent: true, interactive: false, className: "map-label map-label-" + key,
                  direction: key === "communes" ? "bottom" : "center"
                });
              }
            }
          }).addTo(map);
          if (key === "communes") {  // a commune's name at its top, clear of the QPV named in its middle
            layer.eachLayer(function (item) {
              function atTop() {
                var box = item.getBounds();
                item.openTooltip(L.latLng(box.getNorth(), box.getCenter().lng));
              }
              atTop();
              item.on("add", atTop);  // again when the layer is shown from the layer control
            });
          }
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
      if (target.isValid() && !picking) map.fitBounds(target, { padding: [20, 20], maxZoom: 16 });
      if (picking && picker && !picker.hasPoint()) {
        if (focus && focus.bounds) map.fitBounds(focus.bounds, { padding: [10, 10] });
        else if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
      }
      if (picker) picker.refresh();  // tell which commune a point typed before the shapes came is in
      el.dataset.mapLoaded = "1";
    }).catch(function (error) {
      el.dataset.mapError = String(error);
    });
    var picker = setupPicker(el, map, communeFeatures);
    setupSearch(el, map, picker);
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

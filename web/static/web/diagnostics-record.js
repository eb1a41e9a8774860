/* The phone's page of a walking diagnostic: findings are kept in IndexedDB (with their photos) the moment
   they are recorded, then sent one by one to the API when the network allows; each carries a client
   identifier chosen here, so a finding sent twice (a lost answer, two tabs) is kept once by the server.
   The route of the walk can be recorded from the phone's GPS (watchPosition): its points are kept in
   IndexedDB as they come, and the finished route is sent once, like a finding. The counts of what waits
   are always shown. Photos chosen are previewed (object URLs) before they are sent. A service worker
   (served at /diagnostics/sw.js) keeps the page and its scripts so that it opens again without network. */
(function () {
  "use strict";

  var DB_NAME = "gup-diagnostics";
  var STORE = "pending";
  var TRACKS = "tracks";
  var MAX_ACCURACY_M = 100;  // a position vaguer than this is not a point of the route
  var MIN_STEP_M = 3;  // nor one that has not moved (GPS jitter while standing)
  var MAX_POINTS = 5000;  // the server's limit
  var config, form, sending = false, sent = 0;
  var watchId = null, current = null, shown = null, routeLine = null;
  var previewUrls = [], pendingUrls = [];

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 2);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains(STORE)) {
          db.createObjectStore(STORE, { keyPath: "client_id" }).createIndex("diagnostic", "diagnostic");
        }
        if (!db.objectStoreNames.contains(TRACKS)) {
          db.createObjectStore(TRACKS, { keyPath: "client_id" }).createIndex("diagnostic", "diagnostic");
        }
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result = work(tx.objectStore(name));
        tx.oncomplete = function () { db.close(); resolve(result && result.result !== undefined ? result.result : result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function rowsOf(name) {
    return withStore(name, "readonly", function (store) {
      return store.index("diagnostic").getAll(config.diagnostic);
    }).then(function (rows) {
      return (rows || []).sort(function (a, b) {
        var x = a.observed_at || a.started_at, y = b.observed_at || b.started_at;
        return x < y ? -1 : 1;
      });
    });
  }

  function pending() { return rowsOf(STORE); }
  function tracks() { return rowsOf(TRACKS); }
  function put(row) { return withStore(STORE, "readwrite", function (store) { store.put(row); }); }
  function remove(clientId) { return withStore(STORE, "readwrite", function (store) { store.delete(clientId); }); }
  function putTrack(row) { return withStore(TRACKS, "readwrite", function (store) { store.put(row); }); }
  function removeTrack(clientId) { return withStore(TRACKS, "readwrite", function (store) { store.delete(clientId); }); }

  function newClientId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }

  // --- photos: previews of what is chosen, and of what waits on the phone ------------------------------

  function thumbnail(blob, alt) {
    var img = document.createElement("img");
    img.className = "thumb";
    img.width = 72;
    img.height = 72;
    img.alt = alt;
    img.src = URL.createObjectURL(blob);
    return img;
  }

  function revoke(urls) {
    urls.forEach(function (url) { URL.revokeObjectURL(url); });
    urls.length = 0;
  }

  function showPreviews() {
    var input = document.getElementById("finding-photos");
    var list = document.getElementById("photo-previews");
    revoke(previewUrls);
    list.innerHTML = "";
    Array.prototype.forEach.call(input.files || [], function (file, n) {
      var li = document.createElement("li");
      var img = thumbnail(file, fill(list.dataset.altText, { n: n + 1, name: file.name || "photo" }));
      previewUrls.push(img.src);
      li.appendChild(img);
      list.appendChild(li);
    });
  }

  // --- what waits on this phone ---------------------------------------------------------------------

  function setCount(id, key, value) {
    var node = document.getElementById(id);
    node.textContent = String(value);
    node.dataset[key] = String(value);
  }

  function show() {
    return Promise.all([pending(), tracks()]).then(function (both) {
      var rows = both[0], routes = both[1].filter(function (row) { return !row.recording; });
      setCount("pending-count", "pending", rows.length);
      setCount("pending-routes", "pending", routes.length);
      setCount("sent-count", "sent", sent);
      var list = document.getElementById("pending-list");
      revoke(pendingUrls);
      list.innerHTML = "";
      rows.forEach(function (row) {
        var li = document.createElement("li");
        li.appendChild(document.createTextNode(row.label + " · " + row.rating + " · " +
          (row.refused ? list.dataset.refusedText + " " + row.refused : list.dataset.waitingText)));
        (row.photos || []).forEach(function (photo, n) {
          var img = thumbnail(photo.blob, fill(list.dataset.altText, { n: n + 1, label: row.label }));
          pendingUrls.push(img.src);
          li.appendChild(document.createTextNode(" "));
          li.appendChild(img);
        });
        if (row.refused) li.className = "errors";
        list.appendChild(li);
      });
      routes.forEach(function (row) {
        var li = document.createElement("li");
        li.textContent = fill(list.dataset.routeText, { points: row.points.length, length: metres(row.points) }) +
          " · " + (row.refused ? list.dataset.refusedText + " " + row.refused : list.dataset.waitingText);
        if (row.refused) li.className = "errors";
        list.appendChild(li);
      });
    });
  }

  function network() {
    var state = document.getElementById("network-state");
    state.textContent = navigator.onLine ? state.dataset.onlineText : state.dataset.offlineText;
  }

  // --- sending --------------------------------------------------------------------------------------

  function body(row) {
    var data = new FormData();
    ["client_id", "item", "rating", "comment", "lon", "lat", "observed_at"].forEach(function (key) {
      data.append(key, row[key]);
    });
    (row.photos || []).forEach(function (photo) { data.append("photos", photo.blob, photo.name); });
    return data;
  }

  function refusal(answer) {
    var errors = (answer && answer.errors) || {};
    var texts = Object.keys(errors).map(function (key) { return [].concat(errors[key]).join(" "); });
    return texts.join(" ") || (answer && answer.detail) || "?";
  }

  function post(url, payload, json, onKept, onRefused) {
    var headers = { "X-CSRFToken": csrfToken(), Accept: "application/json" };
    if (json) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: "POST", body: json ? JSON.stringify(payload) : payload, credentials: "same-origin", headers: headers
    }).then(function (response) {
      if (response.status === 200 || response.status === 201) return onKept();
      if (response.status === 400) {  // refused for good: kept on the phone with the reason, never resent
        return response.json().catch(function () { return {}; }).then(function (answer) {
          return onRefused(refusal(answer));
        });
      }
      throw new Error("HTTP " + response.status);  // 403, 5xx...: try again later
    });
  }

  function sendOne(row) {
    return post(config.findingsUrl, body(row), false, function () {
      sent += 1;
      return remove(row.client_id);
    }, function (reason) {
      row.refused = reason;
      return put(row);
    });
  }

  function sendTrack(row) {
    var payload = { client_id: row.client_id, points: row.points, started_at: row.started_at, ended_at: row.ended_at };
    return post(config.tracksUrl, payload, true, function () {
      shown = { points: row.points, state: "sent" };
      return removeTrack(row.client_id);
    }, function (reason) {
      row.refused = reason;
      shown = { points: row.points, state: "refused", reason: reason };
      return putTrack(row);
    });
  }

  function sync() {
    if (sending) return Promise.resolve();
    sending = true;
    var problem = document.getElementById("sync-problem");
    return Promise.all([pending(), tracks()]).then(function (both) {
      var queue = both[0].filter(function (row) { return !row.refused; }).map(function (row) {
        return function () { return sendOne(row); };
      }).concat(both[1].filter(function (row) { return !row.refused && !row.recording; }).map(function (row) {
        return function () { return sendTrack(row); };
      }));
      function next() {
        if (!queue.length) return Promise.resolve();
        return queue.shift()().then(next);
      }
      return next();
    }).then(function () {
      problem.textContent = "";
    }).catch(function () {
      problem.textContent = "";  // no network: the counts say what waits
    }).then(function () {
      sending = false;
      network();
      showRoute();
      return show();
    });
  }

  // --- a finding ------------------------------------------------------------------------------------

  function readPhotos(input) {
    return Array.prototype.map.call(input.files || [], function (file) {
      return { name: file.name || "photo.jpg", blob: file };
    });
  }

  function save(event) {
    event.preventDefault();
    var status = document.getElementById("form-status");
    var item = document.getElementById("finding-item");
    var rating = form.querySelector("input[name=rating]:checked");
    var lon = document.getElementById("finding-lon").value.trim();
    var lat = document.getElementById("finding-lat").value.trim();
    if (!item.value || !rating || !lon || !lat) {
      status.textContent = form.dataset.missingText;
      status.className = "errors";
      return;
    }
    var row = {
      client_id: newClientId(),
      diagnostic: config.diagnostic,
      item: item.value,
      label: item.options[item.selectedIndex].textContent,
      rating: rating.value,
      comment: document.getElementById("finding-comment").value,
      lon: lon,
      lat: lat,
      observed_at: new Date().toISOString(),
      photos: readPhotos(document.getElementById("finding-photos"))
    };
    put(row).then(function () {
      status.textContent = form.dataset.savedText;
      status.className = "";
      document.getElementById("finding-comment").value = "";
      document.getElementById("finding-photos").value = "";
      showPreviews();
      rating.checked = false;
      item.value = "";
      return show();
    }).then(sync);
  }

  function locate() {
    var status = document.getElementById("locate-status");
    var button = document.getElementById("locate");
    if (!navigator.geolocation) { status.textContent = button.dataset.failedText; return; }
    status.textContent = button.dataset.locatingText;
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById("finding-lon").value = position.coords.longitude.toFixed(6);
      var lat = document.getElementById("finding-lat");
      lat.value = position.coords.latitude.toFixed(6);
      lat.dispatchEvent(new Event("change", { bubbles: true }));
      status.textContent = "± " + Math.round(position.coords.accuracy) + " m";
    }, function () { status.textContent = button.dataset.failedText; }, { enableHighAccuracy: true, timeout: 20000 });
  }

  // --- the route, from the GPS ----------------------------------------------------------------------

  function distance(a, b) {  // metres between two [lon, lat] (haversine)
    var rad = Math.PI / 180, dLat = (b[1] - a[1]) * rad, dLon = (b[0] - a[0]) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
  }

  function metres(points) {
    var total = 0;
    for (var i = 1; i < points.length; i += 1) total += distance(points[i - 1], points[i]);
    return Math.round(total);
  }

  function showRoute() {
    var summary = document.getElementById("route-summary");
    var start = document.getElementById("route-start"), stop = document.getElementById("route-stop");
    start.hidden = Boolean(current);
    stop.hidden = !current;
    var route = current ? { points: current.points, state: "recording" } : shown;
    if (!route) {
      summary.textContent = summary.dataset.noneText;
      summary.dataset.points = "0";
    } else {
      var points = route.points;
      var text = fill(summary.dataset[route.state + "Text"], {
        points: points.length, length: metres(points), reason: route.reason || ""
      });
      if (points.length) {
        var first = points[0], last = points[points.length - 1];
        text += " " + fill(summary.dataset.endsText, {
          from: first[1].toFixed(5) + ", " + first[0].toFixed(5), to: last[1].toFixed(5) + ", " + last[0].toFixed(5)
        });
      }
      summary.textContent = text;
      summary.dataset.points = String(points.length);
      summary.dataset.state = route.state;
    }
    var map = document.querySelector(".record-map");
    if (map && map.gupMap && typeof L !== "undefined") {
      var latLngs = route ? route.points.map(function (p) { return [p[1], p[0]]; }) : [];
      if (!routeLine) {
        routeLine = L.polyline(latLngs, { color: "#00589b", weight: 4, dashArray: "6 4", interactive: false });
        routeLine.addTo(map.gupMap);
      } else {
        routeLine.setLatLngs(latLngs);
      }
    }
  }

  function onPosition(position) {
    if (!current) return;
    var c = position.coords;
    if (c.accuracy && c.accuracy > MAX_ACCURACY_M) return;
    var here = [Number(c.longitude.toFixed(6)), Number(c.latitude.toFixed(6))];
    var last = current.points[current.points.length - 1];
    if (last && distance(last, here) < MIN_STEP_M) return;
    current.points.push(here);
    putTrack(current).then(showRoute);
    if (current.points.length >= MAX_POINTS) stopRoute();
  }

  function onPositionError(error) {
    var summary = document.getElementById("route-summary");
    if (error && error.code === 1) {  // refused: nothing more will come
      if (watchId !== null) navigator.geolocation.clearWatch(watchId);
      watchId = null;
      summary.textContent = summary.dataset.deniedText;
    }
  }

  function watch() {
    watchId = navigator.geolocation.watchPosition(onPosition, onPositionError, {
      enableHighAccuracy: true, maximumAge: 0, timeout: 60000
    });
  }

  function startRoute() {
    var summary = document.getElementById("route-summary");
    if (!navigator.geolocation) { summary.textContent = summary.dataset.deniedText; return; }
    current = {
      client_id: newClientId(), diagnostic: config.diagnostic, points: [],
      started_at: new Date().toISOString(), recording: true
    };
    putTrack(current).then(function () { watch(); showRoute(); });
  }

  function stopRoute() {
    if (!current) return Promise.resolve();
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
    var row = current;
    current = null;
    row.recording = false;
    row.ended_at = new Date().toISOString();
    if (row.points.length < 2) {  // nothing worth sending
      shown = null;
      return removeTrack(row.client_id).then(function () {
        showRoute();
        var summary = document.getElementById("route-summary");
        summary.textContent = summary.dataset.shortText;
      });
    }
    shown = { points: row.points, state: "waiting" };
    return putTrack(row).then(showRoute).then(show).then(sync);
  }

  function resumeRoute() {  // the page was closed while recording: go on with the same route
    return tracks().then(function (rows) {
      rows.forEach(function (row) {
        if (row.recording && !current) current = row;
        else if (!row.recording) shown = { points: row.points, state: row.refused ? "refused" : "waiting", reason: row.refused };
      });
      if (!current && !shown && config.route && config.route.coordinates) {
        shown = { points: config.route.coordinates, state: "kept" };
      }
      if (current && navigator.geolocation) watch();
      showRoute();
    });
  }

  function init() {
    var node = document.getElementById("record-config");
    form = document.getElementById("finding-form");
    if (!node || !form) return;
    config = JSON.parse(node.textContent);
    form.addEventListener("submit", save);
    document.getElementById("locate").addEventListener("click", locate);
    document.getElementById("send-now").addEventListener("click", sync);
    document.getElementById("finding-photos").addEventListener("change", showPreviews);
    document.getElementById("route-start").addEventListener("click", startRoute);
    document.getElementById("route-stop").addEventListener("click", stopRoute);
    window.addEventListener("online", sync);
    window.addEventListener("offline", network);
    if ("serviceWorker" in navigator && config.workerUrl) {
      navigator.serviceWorker.register(config.workerUrl, { scope: "/diagnostics/" }).then(function () {
        return navigator.serviceWorker.ready;
      }).then(function () {
        // this page too, so that it opens again without network (the worker refreshes it when online)
        return caches.open(config.cacheName).then(function (cache) {
          var map = document.querySelector("[data-map][data-layers-url]");
          if (map) cache.add(map.dataset.layersUrl).catch(function () {});  // the map's shapes, if it can
          return cache.add(location.pathname);
        });
      }).then(function () {
        document.body.dataset.offlineReady = "1";
      }).catch(function () {});
    }
    network();
    resumeRoute().then(show).then(sync);
    setInterval(sync, 30000);
  }

  document.addEventListener("DOMContentLoaded", init);
})();

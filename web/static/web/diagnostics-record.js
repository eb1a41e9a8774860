/* The phone's page of a walking diagnostic: findings are kept in IndexedDB (with their photos) the moment
   they are recorded, then sent one by one to the API when the network allows; each carries a client
   identifier chosen here, so a finding sent twice (a lost answer, two tabs) is kept once by the server.
   The count of what waits is always shown. A service worker (served at /diagnostics/sw.js) keeps the
   page and its scripts so that it opens again without network. */
(function () {
  "use strict";

  var DB_NAME = "gup-diagnostics";
  var STORE = "pending";
  var config, form, sending = false, sent = 0;

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, { keyPath: "client_id" });
        store.createIndex("diagnostic", "diagnostic");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && result.result !== undefined ? result.result : result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function pending() {
    return withStore("readonly", function (store) {
      return store.index("diagnostic").getAll(config.diagnostic);
    }).then(function (rows) {
      return (rows || []).sort(function (a, b) { return a.observed_at < b.observed_at ? -1 : 1; });
    });
  }

  function put(row) { return withStore("readwrite", function (store) { store.put(row); }); }
  function remove(clientId) { return withStore("readwrite", function (store) { store.delete(clientId); }); }

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

  function show() {
    return pending().then(function (rows) {
      var count = document.getElementById("pending-count");
      count.textContent = String(rows.length);
      count.dataset.pending = String(rows.length);
      var sentCount = document.getElementById("sent-count");
      sentCount.textContent = String(sent);
      sentCount.dataset.sent = String(sent);
      var list = document.getElementById("pending-list");
      list.innerHTML = "";
      rows.forEach(function (row) {
        var li = document.createElement("li");
        li.textContent = row.label + " · " + row.rating + " · " +
          (row.refused ? list.dataset.refusedText + " " + row.refused : list.dataset.waitingText);
        if (row.refused) li.className = "errors";
        list.appendChild(li);
      });
    });
  }

  function network() {
    var state = document.getElementById("network-state");
    state.textContent = navigator.onLine ? state.dataset.onlineText : state.dataset.offlineText;
  }

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

  function sendOne(row) {
    return fetch(config.findingsUrl, {
      method: "POST", body: body(row), credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" }
    }).then(function (response) {
      if (response.status === 200 || response.status === 201) {
        sent += 1;
        return remove(row.client_id).then(function () { return true; });
      }
      if (response.status === 400) {  // refused for good: kept on the phone with the reason, never resent
        return response.json().catch(function () { return {}; }).then(function (answer) {
          row.refused = refusal(answer);
          return put(row).then(function () { return true; });
        });
      }
      throw new Error("HTTP " + response.status);  // 403, 5xx...: try again later
    });
  }

  function sync() {
    if (sending) return Promise.resolve();
    sending = true;
    var problem = document.getElementById("sync-problem");
    return pending().then(function (rows) {
      var queue = rows.filter(function (row) { return !row.refused; });
      function next() {
        if (!queue.length) return Promise.resolve();
        return sendOne(queue.shift()).then(next);
      }
      return next();
    }).then(function () {
      problem.textContent = "";
    }).catch(function () {
      problem.textContent = "";  // no network: the count says what waits
    }).then(function () {
      sending = false;
      network();
      return show();
    });
  }

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

  function init() {
    var node = document.getElementById("record-config");
    form = document.getElementById("finding-form");
    if (!node || !form) return;
    config = JSON.parse(node.textContent);
    form.addEventListener("submit", save);
    document.getElementById("locate").addEventListener("click", locate);
    document.getElementById("send-now").addEventListener("click", sync);
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
    show().then(sync);
    setInterval(sync, 30000);
  }

  document.addEventListener("DOMContentLoaded", init);
})();

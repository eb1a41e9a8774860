/* GUP service worker for the walking diagnostics (served by web/views_diagnostics/record.py).
   Keeps the site's static files and every recording page opened once, so the page opens without network.
   Writes never go through here: the page keeps findings in IndexedDB and sends them itself. */
"use strict";
var CACHE = {{ cache_name|safe }};
var STATIC = {{ static_urls|safe }};

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(STATIC); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("gup-diagnostics-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function isRecordingPage(url) {
  return /^\/diagnostics\/\d+\/record\/$/.test(url.pathname);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (isRecordingPage(url) || url.pathname.indexOf("/map/layers.geojson") === 0) {
    // network first, the copy kept when there is none
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request, { ignoreVary: true }).then(function (found) { return found || Response.error(); });
    }));
    return;
  }
  if (STATIC.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(request, { ignoreVary: true }).then(function (found) { return found || fetch(request); }));
  }
});

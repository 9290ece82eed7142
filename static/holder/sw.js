// the holder's pages service worker, served as /mijn/sw.js (scope /mijn/). It keeps the pass page
// and its files, so the pass shows and its code keeps changing without a network for the
// credential's whole life. Logging out clears it (Clear-Site-Data).
const CACHE = "almerepas-holder-v2";
const ASSETS = [
  "/static/css/almerepas.css",
  "/static/holder/holder.css",
  "/static/holder/pass.js",
  "/static/holder/recent.js",
  "/static/holder/vendor/qrcode-generator/qrcode.mjs",
];
const NETWORK_WAIT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

function isPassPage(url, request) {
  return request.mode === "navigate" && /^\/mijn\/passen\/[0-9]+$/.test(url.pathname);
}

// The network first (a fresh page, a fresh CSRF token), the kept copy when there is none.
async function passPage(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await Promise.race([
      fetch(request),
      new Promise((_, reject) => setTimeout(() => reject(new Error("slow")), NETWORK_WAIT_MS)),
    ]);
    if (response.ok && !response.redirected) {
      await cache.put(request, response.clone());
    } else if (response.status === 404 || response.redirected) {
      await cache.delete(request);
    }
    return response;
  } catch (error) {
    const kept = await cache.match(request, { ignoreVary: true });
    if (kept) return kept;
    throw error;
  }
}

// A pass page opened before this worker controlled it asks to be kept.
self.addEventListener("message", (event) => {
  const path = event.data && event.data.keep;
  if (typeof path !== "string" || !/^\/mijn\/passen\/[0-9]+$/.test(path)) return;
  event.waitUntil(
    fetch(path, { credentials: "same-origin" }).then(async (response) => {
      if (response.ok && !response.redirected) {
        const cache = await caches.open(CACHE);
        await cache.put(new Request(path), response);
      }
    }),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (isPassPage(url, request)) {
    event.respondWith(passPage(request));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(
      caches.match(request, { ignoreVary: true }).then((kept) => kept || fetch(request)),
    );
  }
});

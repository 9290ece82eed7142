// The phone pass: a device key that never leaves this browser, a credential from the server
// that binds it, and every 30 seconds a QR code `credential~step~signature` (docs/holders.md).
// Works offline for the credential's whole life: the service worker keeps this page and its
// files, IndexedDB keeps the key and the credential.
import qrcode from "./vendor/qrcode-generator/qrcode.mjs";

const STEP_SECONDS = 30;
const DB_NAME = "almerepas-pass";
const STORE = "credentials";
const section = document.querySelector(".phone-pass");
const canvas = document.getElementById("qr");
const statusLine = document.getElementById("qr-status");
const updatedLine = document.getElementById("qr-updated");
const live = document.querySelector(".qr-live");
const texts = Object.fromEntries(
  [...document.getElementById("qr-texts").content.querySelectorAll("[data-key]")].map(
    (el) => [el.dataset.key, el.textContent],
  ),
);
const encoder = new TextEncoder();

function b64url(bytes) {
  let text = "";
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function openStore() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(mode, action) {
  const db = await openStore();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

const load = (number) => withStore("readonly", (store) => store.get(number));
const save = (number, entry) => withStore("readwrite", (store) => store.put(entry, number));

function nowSeconds() {
  return Date.now() / 1000;
}

function valid(entry) {
  return entry && Date.parse(entry.expires_at) / 1000 > nowSeconds();
}

// A new key at every refresh: the public key is in the credential, so a key kept for ever
// would let anyone who scans follow the holder from credential to credential.
async function refresh(number) {
  const keys = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign", "verify"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", keys.publicKey);
  const csrf = await fetch(section.dataset.csrfUrl, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    cache: "no-store",
  });
  if (!csrf.ok) return { refused: csrf.status };
  const { token: csrfToken } = await csrf.json();
  const response = await fetch(section.dataset.credentialUrl, {
    method: "POST",
    credentials: "same-origin",
    cache: "no-store",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRFToken": csrfToken,
    },
    body: JSON.stringify({ device_key: { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y } }),
  });
  if (!response.ok) return { refused: response.status };
  const issued = await response.json();
  const entry = {
    token: issued.token,
    expires_at: issued.expires_at,
    refresh_after: issued.refresh_after,
    privateKey: keys.privateKey,
  };
  await save(number, entry);
  return { entry };
}

async function holderCode(entry, step) {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(entry.token));
  const h = b64url(new Uint8Array(digest).slice(0, 16));
  const input =
    b64url(encoder.encode('{"alg":"ES256"}')) +
    "." +
    b64url(encoder.encode(`{"h":"${h}","t":${step}}`));
  const signature = await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    entry.privateKey,
    encoder.encode(input),
  );
  return `${entry.token}~${step}~${b64url(signature)}`;
}

function draw(text) {
  const qr = qrcode(0, "M");
  qr.addData(text, "Byte");
  qr.make();
  const count = qr.getModuleCount();
  const quiet = 4;
  const size = count + 2 * quiet;
  const scale = Math.max(2, Math.floor(Math.min(720, window.innerWidth * 2) / size));
  canvas.width = size * scale;
  canvas.height = size * scale;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#000000";
  for (let row = 0; row < count; row += 1) {
    for (let col = 0; col < count; col += 1) {
      if (qr.isDark(row, col)) {
        ctx.fillRect((col + quiet) * scale, (row + quiet) * scale, scale, scale);
      }
    }
  }
  canvas.dataset.code = text;
  canvas.dataset.version = String((count - 17) / 4);
  canvas.hidden = false;
  live.hidden = false;
}

function clockTime() {
  const lang = section.dataset.lang === "en" ? "en-GB" : "nl-NL";
  return new Date().toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

let current = null;
let shownStep = null;
let refreshing = false;
const number = section.dataset.number;

async function tick() {
  const step = Math.floor(nowSeconds() / STEP_SECONDS);
  if (current && Date.parse(current.refresh_after) / 1000 <= nowSeconds() && navigator.onLine && !refreshing) {
    refreshing = true;
    try {
      const result = await refresh(number);
      if (result.entry) current = result.entry;
      else if (result.refused === 401 && valid(current)) {
        statusLine.textContent = texts.login.replace("{time}", new Date(current.expires_at).toLocaleString());
      }
    } catch (error) {
      // no network after all: keep the credential we have
    } finally {
      refreshing = false;
    }
  }
  if (!valid(current)) {
    canvas.hidden = true;
    live.hidden = true;
    statusLine.textContent = texts.none;
    shownStep = null;
    return;
  }
  if (step === shownStep) return;
  shownStep = step;
  draw(await holderCode(current, step));
  statusLine.textContent = navigator.onLine ? texts.ready : texts.offline;
  updatedLine.textContent = texts.updated.replace("{time}", clockTime());
  updatedLine.hidden = false;
}

// The service worker keeps this page when it is opened through it; the first visit is not,
// so the page hands itself over once the worker is there: offline works from the first visit.
async function keepOffline() {
  if (!("serviceWorker" in navigator)) return;
  await navigator.serviceWorker.register(section.dataset.serviceWorker, {
    scope: section.dataset.scope,
  });
  const worker = await navigator.serviceWorker.ready;
  if (worker.active) worker.active.postMessage({ keep: location.pathname });
}

async function start() {
  keepOffline().catch(() => {});
  current = (await load(number)) || null;
  if (!valid(current) && navigator.onLine) {
    try {
      const result = await refresh(number);
      if (result.entry) current = result.entry;
    } catch (error) {
      // offline: nothing to show unless a credential was kept
    }
  }
  await tick();
  section.dataset.ready = "true";
  setInterval(() => {
    tick().catch(() => {});
  }, 1000);
}

start().catch(() => {
  statusLine.textContent = texts.none;
  section.dataset.ready = "true";
});

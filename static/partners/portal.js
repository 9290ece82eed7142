// The partner portal's counter page (almerepas/partners/portal.py): read the pass's QR code with
// the device camera (jsQR, vendored from npm in ./vendor/jsqr), post the scan and redeem forms
// with fetch, and put the server's answer in the page. The forms work without this script.
//
// Never green without the server: when the network is gone, or the answer does not come
// within WAIT_MS, the page says at once that the scan was not checked.
(function () {
  "use strict";

  const WAIT_MS = 3000;
  const FRAME_MS = 120;
  const root = document.querySelector(".portal-scan");
  if (!root) return;
  const answer = document.getElementById("answer");
  const scanForm = document.getElementById("scan-form");
  const codeField = document.getElementById("scan-code");
  const camera = root.querySelector(".camera");
  const video = document.getElementById("camera-video");
  const cameraStatus = document.getElementById("camera-status");
  const startButton = document.getElementById("camera-start");
  const texts = root.dataset;
  let scanning = false;
  let stream = null;

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function state(kind, title, help) {
    const box = document.createElement("div");
    box.className = `answer answer-${kind}`;
    box.dataset.state = kind;
    const line = document.createElement("p");
    line.className = "answer-title";
    const icon = document.createElement("span");
    icon.className = "answer-icon";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = kind === "offline" ? "!" : "…";
    line.append(icon, " ", title);
    box.append(line);
    if (help) {
      const more = document.createElement("p");
      more.className = "answer-reason";
      more.textContent = help;
      box.append(more);
    }
    answer.replaceChildren(box);
  }

  function offline() {
    state("offline", texts.offlineText, texts.offlineHelp);
    answer.focus();
  }

  async function send(form, key) {
    const headers = { "X-Portal-Answer": "fragment", Accept: "text/html" };
    const csrf = form.querySelector("[name=csrf_token]");
    if (csrf) headers["X-CSRFToken"] = csrf.value;
    if (key) headers["Idempotency-Key"] = key;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), WAIT_MS);
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers,
        credentials: "same-origin",
        cache: "no-store",
        signal: controller.signal,
      });
      // Not the portal's answer: the page is stale (logged out, an old CSRF token).
      if (response.headers.get("X-Portal-Answer") !== "fragment") return { stale: true };
      return { html: await response.text() };
    } finally {
      clearTimeout(timer);
    }
  }

  // One attempt per form: the Idempotency-Key stays while it is on its way (a double click,
  // a retry after a lost answer), so the server books it once.
  async function submit(form) {
    if (form.dataset.busy === "true") return;
    if (!navigator.onLine) {
      offline();
      return;
    }
    const redeem = form.classList.contains("redeem-form");
    if (redeem && !form.dataset.key) form.dataset.key = newKey();
    form.dataset.busy = "true";
    form.querySelectorAll("button").forEach((button) => {
      button.disabled = true;
    });
    if (!redeem) state("checking", texts.checkingText);
    let answered = null;
    try {
      answered = await send(form, redeem ? form.dataset.key : null);
    } catch (error) {
      answered = null;
    }
    form.dataset.busy = "false";
    form.querySelectorAll("button").forEach((button) => {
      button.disabled = false;
    });
    if (answered === null) {
      offline();
      return;
    }
    if (answered.stale) {
      state("offline", texts.staleText, texts.staleHelp);
      answer.focus();
      return;
    }
    answer.innerHTML = answered.html;
    answer.focus();
    if (!redeem) {
      codeField.value = "";
      const amount = answer.querySelector(".redeem-form input[name=amount]");
      if (amount) amount.focus();
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form !== scanForm && !form.classList.contains("redeem-form")) return;
    event.preventDefault();
    submit(form);
  });

  window.addEventListener("offline", () => {
    if (!answer.querySelector(".answer-ok")) offline();
  });

  // -- the camera -----------------------------------------------------------------------------

  function stopCamera() {
    scanning = false;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
  }

  function look(canvas, context) {
    if (!scanning) return;
    if (video.readyState >= video.HAVE_CURRENT_DATA && video.videoWidth) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = window.jsQR(image.data, image.width, image.height, {
        inversionAttempts: "dontInvert",
      });
      if (found && found.data) {
        scanning = false;
        codeField.value = found.data;
        // Paused until the cashier asks for the next pass: a new scan must not replace the
        // answer while an amount is being typed.
        startButton.textContent = texts.againText;
        startButton.hidden = false;
        submit(scanForm);
        return;
      }
    }
    setTimeout(() => look(canvas, context), FRAME_MS);
  }

  let canvas = null;
  let context = null;

  async function startCamera() {
    if (stream) {
      startButton.hidden = true;
      scanning = true;
      look(canvas, context);
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment", width: 640, height: 480 },
        audio: false,
      });
    } catch (error) {
      cameraStatus.textContent = texts.cameraError;
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    startButton.hidden = true;
    await video.play();
    canvas = document.createElement("canvas");
    context = canvas.getContext("2d", { willReadFrequently: true });
    scanning = true;
    root.dataset.camera = "on";
    sessionStorage.setItem("almerepas-camera", "on");
    look(canvas, context);
  }

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.jsQR) {
    camera.hidden = false;
    startButton.addEventListener("click", startCamera);
    window.addEventListener("pagehide", stopCamera);
    // The camera was on for the previous customer: on again, without a click.
    if (sessionStorage.getItem("almerepas-camera") === "on") startCamera();
  }
})();

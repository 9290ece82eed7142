// The live line on the pass page: within a second or two of a redemption at a partner the page
// shows "Zojuist gebruikt bij Sportclub Centrum: € 12,00" (almerepas/web/holder/recent.py), so
// the cashier can look at this screen. Without a network it shows nothing new: the pass itself
// keeps working (pass.js).
const POLL_MS = 1000;
const WAIT_MS = 3000;
const box = document.querySelector(".recent-uses");
const list = document.getElementById("recent-list");

function show(uses) {
  const shown = list.dataset.ids || "";
  const ids = uses.map((use) => use.id).join(",");
  if (ids === shown) return;
  list.replaceChildren(
    ...uses.map((use) => {
      const item = document.createElement("li");
      const mark = document.createElement("span");
      mark.className = "recent-mark";
      mark.setAttribute("aria-hidden", "true");
      mark.textContent = "✓";
      const time = document.createElement("span");
      time.className = "recent-time";
      time.textContent = use.time;
      item.append(mark, " ", use.text, " ", time);
      item.dataset.id = use.id;
      return item;
    }),
  );
  list.dataset.ids = ids;
  box.hidden = uses.length === 0;
}

async function poll() {
  if (!navigator.onLine) return;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), WAIT_MS);
  try {
    const response = await fetch(box.dataset.recentUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
      signal: controller.signal,
    });
    if (response.ok) show((await response.json()).uses);
  } finally {
    clearTimeout(timer);
  }
}

async function loop() {
  try {
    await poll();
  } catch (error) {
    // no network: the pass still works; nothing new to show
  }
  setTimeout(loop, POLL_MS);
}

if (box) loop();

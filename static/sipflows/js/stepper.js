// The stepper, driven over a websocket (htmx ws extension): buttons, the ← → keys and clicks on
// the ladder send small JSON actions; the server answers with frames whose elements replace
// those with the same ids. Without a socket, links load the step's frame over plain HTTP, and
// without JavaScript they are ordinary links.
(function () {
  "use strict";

  let socket = null; // the ws extension's socket wrapper while connected
  let fromHistory = false; // a frame asked for by the back button must not push history again

  const stepper = () => document.getElementById("stepper");
  const mode = () => stepper().dataset.mode; // solo | follow | present
  let exploring = false;

  function send(action, extra) {
    if (!socket) return false;
    socket.send(JSON.stringify(Object.assign({ action: action }, extra || {})));
    return true;
  }

  function labelFromPath(path) {
    const match = path.match(/^\/flows\/[^/]+\/(?:history\/\d+\/)?([^/]+)\/$/);
    return match ? decodeURIComponent(match[1]) : null;
  }

  // Go to a step: over the socket when there is one, else fetch the same frame over HTTP.
  function go(label, href) {
    if (mode() === "follow" && !exploring) setExploring(true);
    if (send("goto", { label: label || null })) return;
    if (mode() !== "solo") return;
    htmx.ajax("GET", href, { target: "#step-panel", swap: "none" }).then(applyCursor);
  }

  function setExploring(on) {
    exploring = on;
    send(on ? "explore" : "follow");
    const root = stepper();
    root.querySelector(".controls .explore")?.toggleAttribute("hidden", on);
    root.querySelector(".controls .follow")?.toggleAttribute("hidden", !on);
    root.classList.toggle("is-exploring", on);
  }

  // The frame's #ladder-cursor names the current step: move the highlight on the ladder,
  // which stays in the page, then follow with the URL and the title.
  function applyCursor() {
    const cursor = document.getElementById("ladder-cursor");
    if (!cursor) return;
    const ladder = stepper().querySelector(".ladder");
    const old = ladder.querySelector(".is-current");
    const next = cursor.dataset.current && document.getElementById("step-" + cursor.dataset.current);
    if (old !== next) {
      if (old) {
        old.classList.remove("is-current");
        old.removeAttribute("aria-current");
      }
      if (next) {
        next.classList.add("is-current");
        next.setAttribute("aria-current", "step");
        next.scrollIntoView({ block: "nearest", inline: "nearest" });
      }
    }
    document.title = cursor.dataset.title;
    const url = cursor.dataset.url;
    if (url && url !== location.pathname && !fromHistory) history.pushState({}, "", url);
    fromHistory = false;
    if ("ended" in cursor.dataset) stepper().querySelector(".controls").hidden = true;
  }

  document.addEventListener("htmx:wsOpen", function (event) {
    socket = event.detail.socketWrapper;
    stepper().querySelector(".controls").hidden = false;
    // Resync after a (re)connect: the server learns where this page is.
    if (mode() === "solo") send("goto", { label: labelFromPath(location.pathname) });
    if (exploring) send("explore");
  });
  document.addEventListener("htmx:wsClose", function () {
    socket = null;
  });
  document.addEventListener("htmx:wsAfterMessage", applyCursor);

  document.addEventListener("click", function (event) {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const control = event.target.closest(
      "#stepper .controls button[data-action], #newer-version button[data-action]",
    );
    if (control) {
      const action = control.dataset.action;
      if (action === "explore" || action === "follow") setExploring(action === "explore");
      else send(action);
      return;
    }
    const link = event.target.closest("#stepper a[data-step-link], #stepper .ladder a[data-label]");
    if (!link || (mode() === "follow" && !socket)) return;
    event.preventDefault();
    go(link.dataset.label, link.getAttribute("href"));
  });

  document.addEventListener("change", function (event) {
    const select = event.target.closest("#stepper select[data-action]");
    if (select) send(select.dataset.action, { speed: select.value });
  });

  document.addEventListener("keydown", function (event) {
    if (!stepper() || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    const rel = { ArrowLeft: "prev", ArrowRight: "next" }[event.key];
    if (!rel) return;
    event.preventDefault();
    // Relative moves over the socket, so quick presses add up instead of repeating one goto.
    if (mode() === "follow" && !exploring) setExploring(true);
    if (send(rel)) return;
    const link = document.querySelector('#step-panel a[rel="' + rel + '"]');
    if (link) go(link.dataset.label, link.getAttribute("href"));
  });

  window.addEventListener("popstate", function () {
    if (!stepper() || mode() !== "solo") return;
    fromHistory = true;
    go(labelFromPath(location.pathname), location.pathname);
  });
})();

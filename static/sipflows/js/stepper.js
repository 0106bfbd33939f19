// The stepper, driven over a websocket (htmx ws extension): buttons, the ← → keys and clicks on
// the ladder send small JSON actions; the server answers with frames whose elements replace
// those with the same ids. Without a socket, links load the step's frame over plain HTTP, and
// without JavaScript they are ordinary links.
(function () {
  "use strict";

  let socket = null; // the ws extension's socket wrapper while connected
  let fromHistory = false; // a frame asked for by the back button must not push history again
  let exploring = false;
  let focusedId = null; // the control that had focus before a frame replaced it
  let notesWanted = false; // a notes badge was followed: show the notes once the step is there
  let speedByPointer = false; // the speed was chosen with the mouse, not with the keyboard

  const stepper = () => document.getElementById("stepper");
  const mode = () => stepper().dataset.mode; // solo | follow | present
  const reducedMotion = () => matchMedia("(prefers-reduced-motion: reduce)").matches;
  const remembered = (key) => {
    try {
      return localStorage.getItem("sipflows." + key);
    } catch (error) {
      return null;
    }
  };
  const remember = (key, value) => {
    try {
      localStorage.setItem("sipflows." + key, value);
    } catch (error) {
      /* private browsing: nothing is remembered */
    }
  };

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

  // Scroll the ladder's own box, never the window, so that the current arrow, its sender and
  // its receiver are in view; a reader further down the page stays where they are reading.
  function revealCurrent() {
    const ladder = stepper()?.querySelector(".ladder");
    const row = ladder?.querySelector(".is-current");
    if (!row) return;
    const box = ladder.getBoundingClientRect();
    const head = ladder.querySelector(".ladder-head").getBoundingClientRect().height;
    const band = row.querySelector(".step-band").getBoundingClientRect();
    const arrow = drawnBox(row);
    const target = { behavior: reducedMotion() ? "auto" : "smooth" };
    const top = band.top - box.top - head;
    const visible = ladder.clientHeight - head;
    if (top < 0 || top + band.height > visible) {
      target.top = ladder.scrollTop + top - (visible - band.height) / 2;
    }
    const left = arrow.left - box.left;
    if (left < 0 || left + arrow.width > ladder.clientWidth) {
      target.left = ladder.scrollLeft + left - Math.max(0, (ladder.clientWidth - arrow.width) / 2);
    }
    if ("top" in target || "left" in target) ladder.scrollTo(target);
  }

  // The box of what a row draws (its arrow, heads, event box), without its full-width band.
  function drawnBox(row) {
    const parts = [...row.querySelectorAll(".step-line, .step-head, .step-box")];
    const boxes = parts.map((part) => part.getBoundingClientRect());
    const left = Math.min(...boxes.map((b) => b.left));
    const right = Math.max(...boxes.map((b) => b.right));
    return { left: left, width: right - left };
  }

  // Scroll `el` into view inside the side panel when the panel scrolls by itself (desktop),
  // else in the page (phones).
  function scrollToPanelPart(el) {
    const behavior = reducedMotion() ? "auto" : "smooth";
    const panel = el.closest(".step-panel");
    if (panel && panel.scrollHeight > panel.clientHeight + 1) {
      const offset = el.getBoundingClientRect().top - panel.getBoundingClientRect().top;
      panel.scrollTo({ top: panel.scrollTop + offset - 8, behavior: behavior });
    } else {
      el.scrollIntoView({ block: "start", behavior: behavior });
    }
  }

  // One tab stop for the whole ladder: the current arrow (← → move between steps anyway).
  function rovingTabStop(current) {
    for (const row of stepper().querySelectorAll(".ladder-body a.step")) {
      if (row === current) row.removeAttribute("tabindex");
      else row.setAttribute("tabindex", "-1");
    }
  }

  function announce() {
    const title = document.querySelector("#step-panel .step-title");
    const position = document.querySelector("#step-panel .progress .position");
    const text = [title, position]
      .filter(Boolean)
      .map((el) => el.textContent.replace(/\s+/g, " ").trim())
      .join(", ");
    document.getElementById("step-announcer").textContent = text;
  }

  // The frame's #ladder-cursor names the current step: move the highlight on the ladder,
  // which stays in the page, then follow with the URL (when stepping alone) and the title.
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
      }
      rovingTabStop(next || ladder.querySelector(".ladder-body a.step"));
      announce();
    }
    revealCurrent();
    document.title = cursor.dataset.title;
    // A student's address stays the class's, so that a reload brings them back to it.
    const url = cursor.dataset.url;
    if (mode() === "solo" && url && url !== location.pathname && !fromHistory) {
      history.pushState({}, "", url);
    }
    fromHistory = false;
    if ("ended" in cursor.dataset) {
      stepper().querySelector(".controls").hidden = true;
      document.querySelector(".live-banner")?.setAttribute("hidden", "");
    }
    if (notesWanted && document.getElementById("step-notes")) {
      notesWanted = false;
      showNotes();
    }
  }

  function showNotes() {
    scrollToPanelPart(document.getElementById("step-notes"));
  }

  function restoreFocus() {
    if (!focusedId || document.activeElement !== document.body) return;
    document.getElementById(focusedId)?.focus();
  }

  document.addEventListener("htmx:wsOpen", function (event) {
    socket = event.detail.socketWrapper;
    stepper().querySelector(".controls").hidden = false;
    // Resync after a (re)connect: the server learns where this page is.
    if (mode() === "solo") send("goto", { label: labelFromPath(location.pathname) });
    if (exploring) send("explore");
    const select = stepper().querySelector("select[data-action=speed]");
    if (select && select.value !== "1") send("speed", { speed: select.value });
  });
  document.addEventListener("htmx:wsClose", function () {
    socket = null;
  });
  document.addEventListener("htmx:wsBeforeMessage", function () {
    focusedId = document.activeElement?.id || null;
  });
  document.addEventListener("htmx:wsAfterMessage", function () {
    applyCursor();
    restoreFocus();
    // The page now shows what the server says (the resync after connecting has arrived).
    stepper().dataset.synced = "";
  });

  document.addEventListener("click", function (event) {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const view = event.target.closest("button[data-view]");
    if (view) return setView(view.dataset.view, view.getAttribute("aria-pressed") !== "true");
    const control = event.target.closest(
      "#stepper .controls button[data-action], #newer-version button[data-action]",
    );
    if (control) {
      const action = control.dataset.action;
      if (action === "explore" || action === "follow") setExploring(action === "explore");
      else send(action);
      return;
    }
    const link = event.target.closest(
      "#stepper a[data-step-link], #stepper .ladder a[data-label], #stepper .ladder a[data-notes], #step-panel a[href='#step-notes']",
    );
    if (!link) return;
    if (link.getAttribute("href") === "#step-notes") {
      event.preventDefault();
      return showNotes();
    }
    if (mode() === "follow" && !socket) return;
    event.preventDefault();
    const label = link.dataset.label || link.dataset.notes;
    if (link.dataset.notes) {
      const current = stepper().querySelector(".ladder .is-current");
      if (current && current.dataset.label === label) return showNotes();
      notesWanted = true;
    }
    go(label, link.getAttribute("href").split("#")[0]);
  });

  document.addEventListener("pointerdown", function (event) {
    speedByPointer = Boolean(event.target.closest("#stepper select[data-action=speed]"));
  });
  document.addEventListener("change", function (event) {
    const select = event.target.closest("#stepper select[data-action]");
    if (select) {
      send(select.dataset.action, { speed: select.value });
      remember("speed", select.value);
      // Chosen with the mouse: the arrow keys go back to stepping, from Play.
      if (speedByPointer) document.getElementById("play-button")?.focus();
      speedByPointer = false;
      return;
    }
    const view = event.target.closest("input[data-view]");
    if (view) setView(view.dataset.view, view.checked);
  });

  document.addEventListener("keydown", function (event) {
    speedByPointer = false;
    if (!stepper() || event.altKey || event.ctrlKey || event.metaKey) return;
    // Keys belong to a focused control that uses them (a list, a text field).
    if (event.target.closest("textarea, select, [contenteditable], input:not([type=checkbox])")) {
      return;
    }
    const rel = { ArrowLeft: "prev", ArrowRight: "next" }[event.key];
    if (!rel) return;
    event.preventDefault();
    // Relative moves over the socket, so quick presses add up instead of repeating one goto.
    if (mode() === "follow" && !exploring) setExploring(true);
    if (send(rel)) return;
    const link = document.querySelector('#step-panel a[rel="' + rel + '"]');
    if (link) go(link.dataset.label, link.getAttribute("href"));
  });

  // Presentation mode (full screen, large type) and progressive reveal (future arrows hidden).
  // Reveal is remembered; presentation mode lasts as long as the page.
  function setView(name, on) {
    if (name === "presenting") {
      document.documentElement.classList.toggle("presenting", on);
      const panel = document.querySelector(".live-panel");
      const watching = Number(document.getElementById("viewers")?.textContent || 0);
      if (panel && on && watching > 0) panel.open = false;
      if (on && document.fullscreenEnabled && !document.fullscreenElement) {
        document.documentElement.requestFullscreen().catch(() => {});
      } else if (!on && document.fullscreenElement) {
        document.exitFullscreen().catch(() => {});
      }
    } else {
      stepper().classList.toggle("reveal", on);
      remember(name, on ? "on" : "off");
    }
    for (const control of document.querySelectorAll(`[data-view="${name}"]`)) {
      if (control.type === "checkbox") control.checked = on;
      else control.setAttribute("aria-pressed", String(on));
    }
    revealCurrent();
  }

  document.addEventListener("fullscreenchange", function () {
    if (!document.fullscreenElement && document.documentElement.classList.contains("presenting")) {
      setView("presenting", false);
    }
  });

  // Forms that end something for others ask first.
  document.addEventListener("submit", function (event) {
    const question = event.target.dataset?.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  window.addEventListener("popstate", function () {
    if (!stepper() || mode() !== "solo") return;
    fromHistory = true;
    go(labelFromPath(location.pathname), location.pathname);
  });

  function start() {
    if (!stepper()) return;
    const select = stepper().querySelector("select[data-action=speed]");
    const speed = remembered("speed");
    if (select && speed && [...select.options].some((o) => o.value === speed)) select.value = speed;
    if (remembered("reveal") === "on") setView("reveal", true);
    revealCurrent();
    if (location.hash === "#step-notes" && document.getElementById("step-notes")) showNotes();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

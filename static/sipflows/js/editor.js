// The editor: after htmx redraws the form (a step added, a lane moved, ...), put the keyboard
// focus where the action left off, so the editor can go on without the mouse.
(function () {
  "use strict";

  // The preview holds the stepper's partials, whose own out-of-band marks must not move them.
  htmx.config.allowNestedOobSwaps = false;

  document.addEventListener("htmx:afterSettle", function () {
    const form = document.getElementById("editor-form");
    if (!form || !form.dataset.focus) return;
    const target = document.getElementById(form.dataset.focus);
    if (target) {
      target.focus();
      target.scrollIntoView({ block: "nearest" });
    }
  });
})();

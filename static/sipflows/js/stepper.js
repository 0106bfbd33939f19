// The stepper without page loads: prev/next links, arrows on the ladder and the ← → keys
// fetch the #stepper partial with htmx and swap it in place; the URL follows the step.
// Without JavaScript the same links are plain links.
(function () {
  "use strict";

  function go(url, push) {
    htmx.ajax("GET", url, { target: "#stepper", swap: "outerHTML" }).then(function () {
      if (push) history.pushState({ sipflowsStep: true }, "", url);
    });
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest("#stepper a[data-step-link], #stepper .ladder a[href]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    go(link.getAttribute("href"), true);
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest("input, textarea, select, button, [contenteditable]")) return;
    const rel = { ArrowLeft: "prev", ArrowRight: "next" }[event.key];
    const link = rel && document.querySelector('#stepper a[rel="' + rel + '"]');
    if (!link) return;
    event.preventDefault();
    go(link.getAttribute("href"), true);
  });

  window.addEventListener("popstate", function () {
    if (document.getElementById("stepper")) go(location.pathname, false);
  });

  // Keep the ladder where the reader had it, then bring the current arrow into view.
  let ladderScroll = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    const ladder = event.detail.target.querySelector(".ladder");
    ladderScroll = ladder && [ladder.scrollLeft, ladder.scrollTop];
  });
  document.addEventListener("htmx:afterSettle", function () {
    const stepper = document.getElementById("stepper");
    if (!stepper) return;
    document.title = stepper.dataset.title;
    const ladder = stepper.querySelector(".ladder");
    if (ladder && ladderScroll) [ladder.scrollLeft, ladder.scrollTop] = ladderScroll;
    const current = stepper.querySelector(".ladder .is-current");
    if (current) current.scrollIntoView({ block: "nearest", inline: "nearest" });
  });
})();

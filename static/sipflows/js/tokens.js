// Token controls of a highlighted message: each explained token is a link to its reference
// page, described by a tooltip (aria-describedby). Hover or focus opens the tooltip in place,
// a first tap on a touch screen opens it instead of following the link, Escape closes it.
// Without JavaScript the tokens stay plain links.
(function () {
  "use strict";

  const TOKEN = ".sipmsg a[aria-describedby]";
  let open = null; // { token, tip }
  let closing = null;
  let lastPointer = "mouse";
  let openBeforeTap = null; // a tap also hovers and focuses: what was open before it

  function tipOf(token) {
    return document.getElementById(token.getAttribute("aria-describedby"));
  }

  function show(token) {
    const tip = tipOf(token);
    if (!tip) return;
    cancelClose();
    if (open && open.token !== token) hide();
    open = { token: token, tip: tip };
    token.classList.add("is-explained");
    tip.hidden = false;
    place();
  }

  // Under the token, or above it when there is no room below; kept beside it on scrolling.
  function place() {
    if (!open) return;
    const tip = open.tip;
    const at = open.token.getBoundingClientRect();
    const width = Math.min(tip.offsetWidth, window.innerWidth - 16);
    tip.style.left = Math.max(8, Math.min(at.left, window.innerWidth - width - 8)) + "px";
    const below = at.bottom + 6;
    tip.style.top =
      (below + tip.offsetHeight > window.innerHeight ? at.top - tip.offsetHeight - 6 : below) + "px";
  }

  function hide() {
    cancelClose();
    if (!open) return;
    open.tip.hidden = true;
    open.token.classList.remove("is-explained");
    open = null;
  }

  function closeSoon() {
    cancelClose();
    closing = setTimeout(hide, 250); // time to move the pointer into the tooltip
  }

  function cancelClose() {
    if (closing) clearTimeout(closing);
    closing = null;
  }

  document.addEventListener("pointerdown", function (event) {
    lastPointer = event.pointerType;
    openBeforeTap = open && open.token;
    if (open && !event.target.closest(TOKEN + ", .token-tip")) hide();
  });
  document.addEventListener("mouseover", function (event) {
    const token = event.target.closest(TOKEN);
    if (token) show(token);
    else if (event.target.closest(".token-tip")) cancelClose();
  });
  document.addEventListener("mouseout", function (event) {
    if (open && event.target.closest(TOKEN + ", .token-tip")) closeSoon();
  });
  document.addEventListener("focusin", function (event) {
    const token = event.target.closest(TOKEN);
    if (token) show(token);
    else if (open && !event.target.closest(".token-tip")) hide();
  });
  document.addEventListener("click", function (event) {
    const token = event.target.closest(TOKEN);
    if (!token || lastPointer !== "touch") return;
    if (openBeforeTap !== token) {
      event.preventDefault(); // the first tap explains, a second one follows the link
      show(token);
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && open) {
      event.preventDefault();
      hide();
    }
  });
  window.addEventListener("scroll", place, { passive: true, capture: true });
  window.addEventListener("resize", place);
  // A new step replaces the message: whatever was open went with it.
  document.addEventListener("htmx:wsAfterMessage", hide);
  document.addEventListener("htmx:afterSwap", hide);
})();

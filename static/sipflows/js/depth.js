// The switches beside the ladder keep their position from page to page in this tab.
for (const input of document.querySelectorAll("#depth-switches input[data-remember]")) {
  const key = `sipflows:${input.id}`;
  input.checked = sessionStorage.getItem(key) === "1";
  input.addEventListener("change", () => sessionStorage.setItem(key, input.checked ? "1" : "0"));
}

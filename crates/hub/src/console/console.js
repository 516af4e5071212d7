// Linker console: the only script. Pages work without it; it adds copy buttons and live updates.
"use strict";

// Copy buttons: <button data-copy="#id"> copies the text of the element #id.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  event.preventDefault();
  const source = document.querySelector(button.dataset.copy);
  const text = source ? (source.value || source.textContent).trim() : "";
  navigator.clipboard.writeText(text).then(
    () => { button.textContent = "Copied"; },
    () => { button.textContent = "Select and copy"; }
  );
});

// Live parts: an element with data-live="<SSE URL>" is re-read from the server whenever the hub
// says a run of the project changed, and its contents replaced.
const live = document.querySelector("[data-live]");
if (live && window.EventSource) {
  const dot = document.querySelector(".live-dot");
  let pending = null;
  const refresh = async () => {
    pending = null;
    const response = await fetch(window.location.href, { headers: { "Accept": "text/html" } });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector("[data-live]");
    if (fresh) live.innerHTML = fresh.innerHTML;
  };
  const source = new EventSource(live.dataset.live);
  source.addEventListener("open", () => dot && dot.classList.add("on"));
  source.addEventListener("error", () => dot && dot.classList.remove("on"));
  source.addEventListener("run-changed", () => {
    if (!pending) pending = setTimeout(refresh, 250);
  });
}

// Confirmations: a form with data-confirm="question" is sent only once confirmed.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

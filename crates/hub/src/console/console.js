// Linker console: the only script. Pages work without it; it adds copy buttons,
// confirmations and live updates.
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

// Confirmations: <form data-confirm="question"> is sent only when the user agrees.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
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

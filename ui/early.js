// Loaded before the modules (a classic script, so it runs at once): a tap on the first screen's
// buttons before main.js has wired them is kept, and welcome.js replays it once they work, so a
// quick tap on a slow start is never lost.
globalThis.linkerEarlyClicks = [];
document.addEventListener(
  "click",
  (event) => {
    const button = event.target instanceof Element ? event.target.closest("#sign-in, #try-demo") : null;
    if (button && !globalThis.linkerWelcomeReady) globalThis.linkerEarlyClicks.push(button.id);
  },
  true,
);

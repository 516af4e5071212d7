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
// The first screen drawn: once the page has loaded (styles, images, scripts) and two animation
// frames have passed (the second comes after the frame that painted it), the page says so; the
// app prints the time it heard it when LINKER_FIRST_SCREEN=1 (scripts/bench-app.sh times the
// start with it, and bench/minimal-app does exactly the same).
addEventListener("load", () =>
  requestAnimationFrame(() =>
    requestAnimationFrame(() => globalThis.__TAURI__?.event?.emit("first-screen-drawn")?.catch(() => {})),
  ),
);

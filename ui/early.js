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
// frames have passed (the second comes after the frame that painted it), the page says so, with
// its own milestones in ms since its navigation began; the app prints the time it heard it when
// LINKER_FIRST_SCREEN=1 (scripts/bench-app.sh times the start with it, and bench/minimal-app
// does exactly the same).
addEventListener("load", () =>
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      const [nav] = performance.getEntriesByType("navigation");
      const paint = performance.getEntriesByType("paint").find((entry) => entry.name === "first-contentful-paint");
      const page = {
        response: Math.round(nav?.responseEnd ?? -1),
        interactive: Math.round(nav?.domInteractive ?? -1),
        loaded: Math.round(nav?.loadEventStart ?? -1),
        firstPaint: Math.round(paint?.startTime ?? -1),
        drawn: Math.round(performance.now()),
      };
      globalThis.__TAURI__?.event?.emit("first-screen-drawn", page)?.catch(() => {});
    }),
  ),
);

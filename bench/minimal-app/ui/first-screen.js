// The first screen drawn: once the page has loaded (styles, images, scripts) and two animation
// frames have passed (the second comes after the frame that painted it), the page says so, with
// its own steps from the Navigation Timing API (Unix ms); the app prints the time it heard it
// and the steps when LINKER_FIRST_SCREEN=1 (scripts/bench-app.sh times the start with it, and
// the wallet's ui/early.js does exactly the same).
addEventListener("load", () =>
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      const timing = performance.timing;
      const marks = {
        navigation: timing.navigationStart,
        "html-received": timing.responseEnd,
        "dom-interactive": timing.domInteractive,
        "dom-content-loaded": timing.domContentLoadedEventEnd,
        load: timing.loadEventStart,
        drawn: performance.timeOrigin + performance.now(),
      };
      globalThis.__TAURI__?.event?.emit("first-screen-drawn", marks)?.catch(() => {});
    }),
  ),
);

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
// The start's timeline: `linkerMark(name)` notes when a step happened (Unix ms); the page's own
// steps (navigation, HTML received, DOM ready, load) and these marks go with the first screen's
// report, and marks made later go with `linkerSendMarks()`. The app prints them only when
// LINKER_FIRST_SCREEN=1 (`scripts/bench-app.sh --timeline`); otherwise they are dropped.
globalThis.linkerMarks = {};
globalThis.linkerMark = (name) => {
  globalThis.linkerMarks[name] = performance.timeOrigin + performance.now();
};
globalThis.linkerSendMarks = () => {
  const marks = globalThis.linkerMarks;
  globalThis.linkerMarks = {};
  if (Object.keys(marks).length) globalThis.__TAURI__?.event?.emit("start-marks", marks)?.catch(() => {});
};
/** The page's own steps, from the Navigation Timing API (Unix ms). */
function pageSteps() {
  const timing = performance.timing;
  return {
    navigation: timing.navigationStart,
    "html-received": timing.responseEnd,
    "dom-interactive": timing.domInteractive,
    "dom-content-loaded": timing.domContentLoadedEventEnd,
    load: timing.loadEventStart,
  };
}
// The first screen drawn: once the page has loaded (styles, images, scripts) and two animation
// frames have passed (the second comes after the frame that painted it), the page says so; the
// app prints the time it heard it when LINKER_FIRST_SCREEN=1 (scripts/bench-app.sh times the
// start with it, and bench/minimal-app does exactly the same).
addEventListener("load", () =>
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      const marks = { ...pageSteps(), ...globalThis.linkerMarks, drawn: performance.timeOrigin + performance.now() };
      globalThis.linkerMarks = {};
      globalThis.__TAURI__?.event?.emit("first-screen-drawn", marks)?.catch(() => {});
    }),
  ),
);

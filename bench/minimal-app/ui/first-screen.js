// The first screen drawn: once the page has loaded (styles, images, scripts) and two animation
// frames have passed (the second comes after the frame that painted it), the page says so; the
// app prints the time it heard it when LINKER_FIRST_SCREEN=1 (scripts/bench-app.sh times the
// start with it, and bench/minimal-app does exactly the same).
addEventListener("load", () =>
  requestAnimationFrame(() =>
    requestAnimationFrame(() => globalThis.__TAURI__?.event?.emit("first-screen-drawn")?.catch(() => {})),
  ),
);

// What the wallet knows across screens, and the timers of the screen on show.

/** The app's one state: app info, session, demo, cases and their filter, the run screen's model. */
export const state = {
  info: null,
  session: null,
  demo: null,
  cases: null,
  filter: "all",
  run: null, // the run screen's model
  timers: [],
};

const leaving = [];

/** Runs `fn` whenever the screen changes (after its timers are cleared), e.g. to stop the camera. */
export function onLeave(fn) {
  leaving.push(fn);
}

/** Stops the current screen's timers and whatever registered with `onLeave`. */
export function clearTimers() {
  for (const timer of state.timers) clearInterval(timer);
  state.timers = [];
  for (const fn of leaving) fn();
}

/** Calls `fn` every `ms` until the screen changes. */
export function every(ms, fn) {
  state.timers.push(setInterval(fn, ms));
}

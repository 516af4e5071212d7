// The run screen's model (`state.run`) and the changes every part of the screen makes to it:
// events merged in order, the scan status, and asking the screen to render again.
import { state } from "../../lib/state.js";

let renderer = () => {};

/** Sets what `renderRun` calls (run.js, once). */
export function setRenderer(fn) {
  renderer = fn;
}

/** Renders the run screen again from its model. */
export function renderRun() {
  renderer();
}

/** Adds the events not seen yet, kept in `seq` order. */
export function mergeEvents(events) {
  const model = state.run;
  const seen = new Set(model.events.map((e) => e.seq));
  for (const event of events) if (!seen.has(event.seq)) model.events.push(event);
  model.events.sort((a, b) => a.seq - b.seq);
}

/** Updates the scan card's status (text, error, choices, typed text) and renders. */
export function setScan(patch) {
  state.run.scan = { ...(state.run.scan ?? {}), ...patch };
  renderRun();
}

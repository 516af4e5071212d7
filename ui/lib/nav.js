// Navigation: the screen frame (tabs, demo banner) and going from one screen to another by
// name, so that screens never import each other. main.js registers every screen at start.
import { t } from "../i18n.js";
import { fill, h } from "./dom.js";
import { app } from "./shell.js";
import { clearTimers, state } from "./state.js";
import { errorText } from "./words.js";

/** The element every screen renders into. */
export const root = document.getElementById("app");
/** The tab bar under the screens that have one. */
export const tabs = document.getElementById("tabs");

const TAB_SCREENS = ["cases", "run", "history", "generate", "settings", "authorizations", "openLink"];
/** The tab a screen belongs under: a run and an opened link under Cases, Authorizations under Settings. */
const TAB_OF = { run: "cases", openLink: "cases", authorizations: "settings" };
const screens = {};

/** Adds screens by name: `{ cases: showCases, ... }`. */
export function register(table) {
  Object.assign(screens, table);
}

/** Opens the screen `name` with `args` (e.g. `go("run", caseId, runId)`); returns what it returns. */
export function go(name, ...args) {
  return screens[name](...args);
}

/** The name of the screen on show. */
export function currentScreen() {
  return root.dataset.screen;
}

/** Shows a screen: clears the last one's timers, sets the frame, renders `children`. */
export function show(name, ...children) {
  clearTimers();
  root.className = `screen ${name}`;
  root.dataset.screen = name;
  const nodes = [state.demo && TAB_SCREENS.includes(name) ? demoBanner() : null, ...children]
    .flat(Infinity)
    .filter((node) => node !== null && node !== undefined && node !== false);
  fill(root, ...nodes);
  tabs.hidden = !TAB_SCREENS.includes(name);
  for (const button of tabs.querySelectorAll("button")) {
    const active = button.dataset.tab === (TAB_OF[name] ?? name);
    button.classList.toggle("active", active);
  }
  document.body.classList.toggle("with-tabs", !tabs.hidden);
  window.scrollTo(0, 0);
}

function demoBanner() {
  return h(
    "div",
    { class: "demo-banner", id: "demo-banner" },
    h("span", { text: t("demo.banner") }),
    h("button", {
      class: "link",
      type: "button",
      id: "open-pos",
      text: t("demo.openPos"),
      onclick: () => app.openPos().catch((e) => alert(errorText(e))),
    }),
  );
}

// The wallet's start: translations, the screens by name, the tabs, the run events, the
// background sync, then the first screen (welcome, the demo, or the cases when signed in).
// Every string comes from i18n.js; only lib/shell.js talks to the Rust side.
import { applyTranslations, currentLanguage, setLanguage } from "./i18n.js";
import { go, register, tabs } from "./lib/nav.js";
import { app } from "./lib/shell.js";
import { state } from "./lib/state.js";
import { showCases } from "./screens/cases.js";
import { showGenerate } from "./screens/generate.js";
import { showHistory } from "./screens/history.js";
import { listenForRunEvents, showRun } from "./screens/run/run.js";
import { showSettings } from "./screens/settings.js";
import { showSignIn } from "./screens/sign-in.js";
import { showVersion, showWelcome, startDemo } from "./screens/welcome.js";

register({
  welcome: showWelcome,
  signIn: showSignIn,
  cases: showCases,
  run: showRun,
  history: showHistory,
  generate: showGenerate,
  settings: showSettings,
});

/** Sends the outbox whenever writes are waiting. */
async function syncInBackground() {
  try {
    const status = await app.syncStatus();
    if (status.pending > 0) await app.syncNow();
  } catch {
    // offline or signed out: the next tick tries again
  }
}

async function start() {
  applyTranslations(document);
  for (const button of tabs.querySelectorAll("button")) {
    button.addEventListener("click", () => {
      const tab = button.dataset.tab;
      if (["cases", "history", "generate", "settings"].includes(tab)) go(tab);
    });
  }
  listenForRunEvents();
  setInterval(syncInBackground, 3000);
  // The welcome screen's buttons work at once (the page shows them before any module has
  // loaded); its version line and the saved language follow when the app answers.
  showWelcome(true);
  try {
    state.info = await app.appInfo();
  } catch (error) {
    console.error("app_info failed", error);
  }
  const settings = await app.settings().catch(() => null);
  if (settings?.language && settings.language !== currentLanguage() && !globalThis.localStorage?.getItem("linker.language")) {
    setLanguage(settings.language);
  }
  showVersion();
  state.demo = await app.demoInfo().catch(() => null);
  if (state.info?.demoRequested) return startDemo();
  state.session = await app.session().catch(() => null);
  if (state.session?.active) showCases();
}

start();

// The wallet's start: translations, the screens by name, the tabs, the run events, the
// background sync, then the first screen (welcome, the demo, or the cases when signed in).
// Every string comes from i18n.js; only lib/shell.js talks to the Rust side.
import { applyTranslations, currentLanguage, setLanguage, t } from "./i18n.js";
import { drawIcons } from "./lib/icons.js";
import { go, register, tabs } from "./lib/nav.js";
import { app, inApp } from "./lib/shell.js";
import { state } from "./lib/state.js";
import { showAuthorizations } from "./screens/authorizations.js";
import { showCases } from "./screens/cases.js";
import { showGenerate } from "./screens/generate.js";
import { showHistory } from "./screens/history.js";
import { keepForAfterSignIn, openLink, takePending } from "./screens/open-link.js";
import { listenForRunEvents, showRun } from "./screens/run/run.js";
import { showSettings } from "./screens/settings.js";
import { showSignIn } from "./screens/sign-in.js";
import { showVersion, showWelcome, startDemo } from "./screens/welcome.js";

register({
  welcome: showWelcome,
  signIn: showSignIn,
  // A link opened before signing in (`#open=`) opens once the merchant is in.
  cases: (...args) => {
    const pending = takePending();
    return pending ? openLink(pending) : showCases(...args);
  },
  run: showRun,
  history: showHistory,
  generate: showGenerate,
  settings: showSettings,
  authorizations: showAuthorizations,
  openLink,
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
  globalThis.linkerMark?.("main-start");
  applyTranslations(document);
  drawIcons(document);
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
  globalThis.linkerMark?.("welcome-wired");
  try {
    state.info = await app.appInfo();
  } catch (error) {
    console.error("app_info failed", error);
  }
  globalThis.linkerMark?.("app-info-answered");
  const settings = await app.settings().catch(() => null);
  if (settings?.language && settings.language !== currentLanguage() && !globalThis.localStorage?.getItem("linker.language")) {
    setLanguage(settings.language);
  }
  showVersion();
  globalThis.linkerMark?.("settings-answered");
  state.demo = await app.demoInfo().catch(() => null);
  globalThis.linkerMark?.("demo-info-answered");
  if (!inApp) return startInBrowser();
  if (state.info?.demoRequested) return startDemo();
  state.session = await app.session().catch(() => null);
  globalThis.linkerMark?.("session-answered");
  globalThis.linkerSendMarks?.();
  if (state.session?.active) showCases();
}

/** The link in the page's `#open=` (a hub page opened as a link), taken off the address bar. */
function linkInAddress() {
  const url = new URLSearchParams(location.hash.slice(1)).get("open");
  if (url) history.replaceState(null, "", location.pathname);
  return url;
}

/** The web wallet: the app shell cached for the home screen, an invitation link's code, and a
 * hub page opened as a link (`#open=<URL>`), in the merchant's run. */
async function startInBrowser() {
  // The service worker keeps the app shell for "Add to Home Screen"; the commands always go to
  // the hub. Browsers offer it only on secure pages (HTTPS, or this machine).
  navigator.serviceWorker?.register("sw.js").catch((error) => console.warn("no service worker", error));
  const invite = new URLSearchParams(location.hash.slice(1)).get("invite");
  const link = linkInAddress();
  state.session = await app.session().catch(() => null);
  // A link opened while the wallet is already on screen (the address bar's fragment changed).
  addEventListener("hashchange", () => {
    const again = linkInAddress();
    if (again) openLink(again);
  });
  if (link && state.session?.active) return openLink(link);
  if (link) {
    keepForAfterSignIn(link);
    const notice = document.querySelector("#notice");
    if (notice) {
      notice.textContent = t("openLink.signIn");
      notice.hidden = false;
    }
  }
  if (invite) {
    history.replaceState(null, "", location.pathname);
    await go("signIn", "invitation");
    const field = document.querySelector("#invitation-code");
    if (field) field.value = invite;
    document.querySelector("#new-password")?.focus();
  } else if (state.session?.active) {
    showCases();
  }
}

start();

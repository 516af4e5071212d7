// The first screen: sign in, or try the demo (hub, demo merchant and reference POS in-process).
import { applyTranslations, t } from "../i18n.js";
import { $ } from "../lib/dom.js";
import { go, root, tabs } from "../lib/nav.js";
import { app } from "../lib/shell.js";
import { clearTimers, state } from "../lib/state.js";

// At start the page's own markup is the welcome screen.
const welcomeHtml = root.innerHTML;

/** Shows the welcome screen; at start (`initial`) it keeps the page's own elements. */
export function showWelcome(initial = false) {
  clearTimers();
  root.className = "screen welcome";
  root.dataset.screen = "welcome";
  if (!initial) root.innerHTML = welcomeHtml;
  tabs.hidden = true;
  document.body.classList.remove("with-tabs");
  applyTranslations(root);
  showVersion();
  $("#sign-in").addEventListener("click", () => go("signIn", "invitation"));
  $("#try-demo").addEventListener("click", startDemo);
  if (initial) {
    // Taps that came before the buttons were wired (see early.js), in order.
    globalThis.linkerWelcomeReady = true;
    for (const id of globalThis.linkerEarlyClicks?.splice(0) ?? []) $(`#${id}`)?.click();
  }
}

/** Writes the app's version under the welcome screen, once the app info is known. */
export function showVersion() {
  const version = $("#version");
  if (!state.info || !version) return;
  version.textContent = t("welcome.version", {
    version: state.info.version,
    wallet: state.info.defaultWallet,
  });
}

/** Starts demo mode and opens the cases, or says why the demo could not start. */
export async function startDemo() {
  const notice = $("#notice");
  if (notice) {
    notice.className = "notice";
    notice.textContent = t("demo.starting");
    notice.hidden = false;
  }
  for (const button of root.querySelectorAll("button")) button.disabled = true;
  try {
    state.demo = await app.startDemo();
    state.session = await app.session();
    await go("cases");
  } catch (error) {
    if (notice) {
      notice.className = "notice error";
      notice.textContent = t("demo.failed", { message: error?.message ?? String(error) });
    }
    for (const button of root.querySelectorAll("button")) button.disabled = false;
  }
}

// The wallet's screens. Talks to the Rust side only through Tauri commands.
import { applyTranslations, t } from "./i18n.js";

const invoke = globalThis.__TAURI__?.core?.invoke;

function showNotice(message) {
  const notice = document.getElementById("notice");
  notice.textContent = message;
  notice.hidden = false;
}

async function showVersion() {
  if (!invoke) return;
  try {
    const info = await invoke("app_info");
    document.getElementById("version").textContent = t("welcome.version", {
      version: info.version,
      wallet: info.defaultWallet,
    });
  } catch (error) {
    console.error("app_info failed", error);
  }
}

function start() {
  applyTranslations(document);
  document
    .getElementById("sign-in")
    .addEventListener("click", () => showNotice(t("welcome.signInUnavailable")));
  document
    .getElementById("try-demo")
    .addEventListener("click", () => showNotice(t("welcome.demoUnavailable")));
  showVersion();
}

start();

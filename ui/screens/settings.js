// Settings: wallet, code refresh, language, sync status, about, sign out.
import { currentLanguage, setLanguage, t } from "../i18n.js";
import { fill, h, message, say } from "../lib/dom.js";
import { go, show } from "../lib/nav.js";
import { app } from "../lib/shell.js";
import { state } from "../lib/state.js";
import { errorText, when } from "../lib/words.js";

/** Shows the settings, read fresh from the app. */
export async function showSettings() {
  const [settings, wallets, status, info] = await Promise.all([
    app.settings().catch(() => null),
    app.wallets().catch(() => []),
    app.syncStatus().catch(() => null),
    app.appInfo().catch(() => state.info),
  ]);
  const session = await app.session().catch(() => state.session);
  const update = async (patch) => {
    try {
      await app.updateSettings(patch);
      say("settings-status", t("settings.saved"), "notice");
    } catch (error) {
      say("settings-status", errorText(error), "notice error");
    }
  };
  const syncBox = h("div", { id: "sync-status", class: "sync-box" });
  const renderSync = (s) => {
    if (!s) return;
    syncBox.dataset.pending = String(s.pending);
    fill(syncBox, 
      h("p", { text: s.pending || s.failed ? t("settings.syncPending", { pending: s.pending, failed: s.failed }) : t("settings.syncIdle") }),
      s.lastSuccessAt ? h("p", { class: "muted small", text: t("settings.syncLast", { time: when(s.lastSuccessAt) }) }) : null,
      s.lastError ? h("p", { class: "muted small", text: t("settings.syncError", { error: s.lastError }) }) : null,
    );
  };
  renderSync(status);
  const refreshChoices = [10, 15, 20, 30, 45, 60];
  show(
    "settings",
    h("h1", { class: "title", text: t("settings.title") }),
    h("section", { class: "card form" },
      h("label", { for: "setting-wallet", text: t("settings.wallet") }),
      h("select", { id: "setting-wallet", onchange: (e) => { update({ wallet: e.target.value }); walletHint(wallets, e.target.value); } },
        wallets.map((w) => h("option", { value: w.name, selected: settings?.wallet?.name === w.name, text: `${w.name}${w.currency ? ` (${w.currency})` : ""}` }))),
      h("p", { id: "setting-wallet-hint", class: "muted small" }),
      h("label", { for: "setting-refresh", text: t("settings.refresh") }),
      h("select", { id: "setting-refresh", onchange: (e) => update({ codeRefreshSecs: Number(e.target.value) }) },
        refreshChoices.map((s) => h("option", { value: s, selected: settings?.codeRefreshSecs === s, text: t("settings.seconds", { seconds: s }) }))),
      h("span", { class: "label", text: t("settings.language") }),
      h("div", { class: "segmented" },
        h("button", { type: "button", id: "lang-en", class: currentLanguage() === "en" ? "active" : "", text: "English", onclick: () => changeLanguage("en") }),
        h("button", { type: "button", id: "lang-zh-CN", class: currentLanguage() === "zh-CN" ? "active" : "", text: "简体中文", onclick: () => changeLanguage("zh-CN") })),
      message("settings-status"),
    ),
    h("section", { class: "card" },
      h("h2", { text: t("settings.sync") }),
      syncBox,
      h("button", { type: "button", class: "button secondary", id: "sync-now", text: t("settings.syncNow"), onclick: async () => {
        try {
          await app.syncNow();
        } catch (error) {
          say("settings-status", errorText(error), "notice error");
        }
        renderSync(await app.syncStatus().catch(() => null));
      } }),
    ),
    // Auto Debit: the merchants this wallet authorized, and Unbind.
    h("button", { type: "button", class: "card settings-link", id: "settings-authorizations", onclick: () => go("authorizations") },
      h("span", { class: "settings-link-text" },
        h("span", { class: "settings-link-title", text: t("authorizations.title") }),
        h("span", { class: "muted small", text: t("authorizations.settingsHint") })),
      h("span", { class: "chevron", "aria-hidden": "true", text: "›" })),
    h("section", { class: "card about" },
      h("h2", { text: t("settings.about") }),
      session ? h("p", { text: t("settings.account", { name: session.merchant.name, mid: session.merchant.mid }) }) : null,
      h("p", { id: "about-version", text: t("settings.version", { version: info?.version ?? "?", schema: info?.schemaVersion ?? "?" }) }),
      h("p", { id: "about-hub", class: "breakable", text: t("settings.hub", { url: settings?.hubUrl ?? "" }) }),
      info?.dataDir ? h("p", { class: "muted small breakable", text: t("settings.data", { dir: info.dataDir }) }) : null,
    ),
    h("button", { type: "button", class: "button danger wide", id: "sign-out", text: t("settings.signOut"), onclick: async () => {
      await app.signOut().catch(() => {});
      state.session = null;
      go("welcome");
    } }),
  );
  walletHint(wallets, settings?.wallet?.name);
}

/** What the hub does with the chosen wallet: its pspId and Linker's own routing number (the real issuers' are not public). */
function walletHint(wallets, name) {
  const wallet = wallets.find((w) => w.name === name);
  const hint = document.getElementById("setting-wallet-hint");
  if (!wallet || !hint) return;
  hint.textContent = t("settings.walletHint", { pspId: wallet.pspId, brand: wallet.brandName, routing: wallet.routing })
    + (wallet.routing === "999" ? "" : ` ${t("settings.walletRouting")}`)
    + (wallet.currency ? ` ${t("settings.walletRate", { currency: wallet.currency })}` : "");
}

async function changeLanguage(code) {
  setLanguage(code);
  await app.updateSettings({ language: code }).catch(() => {});
  showSettings();
}

// Sign-in: with an invitation (typed, pasted, scanned from a picture or the screen) and a new
// password, or with MID/email and password; the hub URL under Advanced.
import { t } from "../i18n.js";
import { $, fileBase64, h, message, say } from "../lib/dom.js";
import { go, show } from "../lib/nav.js";
import { app, inApp } from "../lib/shell.js";
import { state } from "../lib/state.js";
import { errorText } from "../lib/words.js";

function invitationFrom(text) {
  const trimmed = String(text ?? "").trim();
  const link = trimmed.match(/^(https?:\/\/.+?)\/invite\/([^/?#\s]+)/i);
  if (link) return { code: decodeURIComponent(link[2]), hub: link[1] };
  const param = trimmed.match(/[?&]code=([^&#\s]+)/i);
  if (param) return { code: decodeURIComponent(param[1]) };
  return { code: trimmed };
}

/** Shows the sign-in screen with the invitation or the password form. */
export async function showSignIn(mode = "invitation") {
  const settings = await app.settings().catch(() => null);
  const useInvitation = async (text) => {
    const found = invitationFrom(text);
    $("#invitation-code").value = found.code;
    // The web wallet always uses the hub that serves it.
    if (found.hub && inApp) {
      $("#hub-url").value = found.hub;
      await saveHub(true);
    }
  };
  const invitationForm = h(
    "form",
    { id: "invitation-form", class: "card form", hidden: mode !== "invitation", onsubmit: signInWithInvitation },
    h("label", { for: "invitation-code", text: t("signIn.invitationCode") }),
    h("input", { id: "invitation-code", autocomplete: "off", autocapitalize: "characters", spellcheck: "false", placeholder: "K7QH-3MXP-9TRW" }),
    h("p", { class: "hint", text: t("signIn.invitationHint") }),
    h(
      "div",
      { class: "row" },
      h("button", {
        type: "button",
        class: "button small secondary",
        id: "scan-invitation",
        text: t("signIn.scanInvitation"),
        onclick: () => $("#invitation-image").click(),
      }),
      h("button", {
        type: "button",
        class: "button small secondary",
        id: "paste-invitation",
        text: t("signIn.pasteInvitation"),
        onclick: async () => {
          try {
            await useInvitation(await navigator.clipboard.readText());
          } catch (error) {
            say("sign-in-error", t("scan.clipboardEmpty"), "notice error");
          }
        },
      }),
      h("button", {
        type: "button",
        class: "button small secondary",
        id: "screen-invitation",
        text: t("scan.screen"),
        onclick: async () => {
          try {
            const codes = await app.codesOnScreen();
            const invite = codes.find((c) => /\/invite\//.test(c)) ?? codes[0];
            await useInvitation(invite);
          } catch (error) {
            say("sign-in-error", errorText(error), "notice error");
          }
        },
      }),
    ),
    h("input", {
      type: "file",
      id: "invitation-image",
      accept: "image/*",
      hidden: true,
      onchange: async (event) => {
        const file = event.target.files?.[0];
        if (!file) return;
        try {
          const codes = await app.readCodes(await fileBase64(file));
          await useInvitation(codes[0]);
        } catch (error) {
          say("sign-in-error", errorText(error), "notice error");
        }
      },
    }),
    h("label", { for: "new-password", text: t("signIn.newPassword") }),
    h("input", { id: "new-password", type: "password", autocomplete: "new-password" }),
    h("button", { id: "submit-invitation", class: "button primary", type: "submit", text: t("signIn.submitInvitation") }),
  );
  const passwordForm = h(
    "form",
    { id: "password-form", class: "card form", hidden: mode !== "password", onsubmit: signInWithPassword },
    h("label", { for: "login", text: t("signIn.login") }),
    h("input", { id: "login", autocomplete: "username", spellcheck: "false" }),
    h("label", { for: "password", text: t("signIn.password") }),
    h("input", { id: "password", type: "password", autocomplete: "current-password" }),
    h("button", { id: "submit-password", class: "button primary", type: "submit", text: t("signIn.submitPassword") }),
  );
  const switcher = h(
    "div",
    { class: "segmented", role: "tablist" },
    h("button", { type: "button", id: "mode-invitation", class: mode === "invitation" ? "active" : "", text: t("signIn.invitationTab"), onclick: () => showSignIn("invitation") }),
    h("button", { type: "button", id: "mode-password", class: mode === "password" ? "active" : "", text: t("signIn.passwordTab"), onclick: () => showSignIn("password") }),
  );
  const advanced = h(
    "details",
    { class: "card advanced", id: "advanced" },
    h("summary", { text: t("signIn.advanced") }),
    h("label", { for: "hub-url", text: t("signIn.hubUrl") }),
    h("input", { id: "hub-url", value: settings?.hubUrl ?? "", spellcheck: "false", inputmode: "url" }),
    h("button", { type: "button", id: "save-hub", class: "button small secondary", text: t("signIn.saveHub"), onclick: () => saveHub(false) }),
  );
  show(
    "sign-in",
    h("header", { class: "bar" },
      h("button", { type: "button", class: "link", id: "sign-in-back", text: `‹ ${t("signIn.back")}`, onclick: () => go("welcome") }),
      h("h1", { text: t("signIn.title") })),
    switcher,
    invitationForm,
    passwordForm,
    message("sign-in-error", "notice error"),
    advanced,
  );
}

async function saveHub(quiet) {
  try {
    await app.updateSettings({ hubUrl: $("#hub-url").value.trim() });
    if (!quiet) say("sign-in-error", t("signIn.hubSaved"), "notice");
  } catch (error) {
    say("sign-in-error", errorText(error), "notice error");
  }
}

async function signInWithInvitation(event) {
  event.preventDefault();
  const code = $("#invitation-code").value.trim();
  const password = $("#new-password").value;
  if (!code) return say("sign-in-error", t("signIn.needCode"), "notice error");
  if (password.length < 8) return say("sign-in-error", t("signIn.shortPassword"), "notice error");
  say("sign-in-error", t("signIn.working"), "notice");
  try {
    state.session = await app.signInWithInvitation(code, password);
    await go("cases");
  } catch (error) {
    say("sign-in-error", errorText(error), "notice error");
  }
}

async function signInWithPassword(event) {
  event.preventDefault();
  say("sign-in-error", t("signIn.working"), "notice");
  try {
    state.session = await app.signIn($("#login").value.trim(), $("#password").value);
    await go("cases");
  } catch (error) {
    say("sign-in-error", errorText(error), "notice error");
  }
}

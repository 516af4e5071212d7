// Authorize: a merchant's site asks to charge this wallet without asking each time (Auto Debit).
// The wallet shows who asks (the merchant's client id and its acquirer) and what for (the scopes,
// in words), Authorize or Decline; then what happened, and Done sends the customer back to the
// merchant's site (the authRedirectUrl, with the code when authorized).
import { has, t } from "../../i18n.js";
import { h } from "../../lib/dom.js";
import { icon } from "../../lib/icons.js";
import { app } from "../../lib/shell.js";
import { state } from "../../lib/state.js";
import { errorText } from "../../lib/words.js";
import { goBack, returnedView } from "./merchant.js";
import { renderRun, setScan } from "./model.js";

/** A scope (`AGREEMENT_PAY`) in words, in the current language; the code itself when unknown. */
export function scopeWords(scope) {
  return has(`scope.${scope}`) ? t(`scope.${scope}`) : String(scope);
}

/** Opens the authorization at `url` on the run screen: reads what it asks, then waits for an answer. */
export async function openAuthorization(url) {
  const model = state.run;
  const authorization = { url, phase: "reading", prompt: null, result: null, returned: null };
  model.authorization = authorization;
  renderRun();
  try {
    authorization.prompt = await app.inspectAuthorization(url);
    authorization.phase = authorization.prompt.status === "prepared" ? "ask" : "answered";
  } catch (error) {
    if (model.authorization === authorization) model.authorization = null;
    return setScan({ status: errorText(error), error: true });
  }
  renderRun();
}

function scopesList(scopes) {
  return h("ul", { class: "scopes", id: "authorization-scopes" },
    (scopes ?? []).map((scope) => h("li", { "data-scope": scope }, h("span", { text: scopeWords(scope) }), " ", h("span", { class: "muted small", text: scope }))));
}

/** The authorization card: the question, then the answer, then the way back. */
export function authorizationCard() {
  const model = state.run;
  const authorization = model.authorization;
  const { prompt, phase } = authorization;
  const client = prompt?.clientId ?? "—";
  const busy = phase === "working";
  const parts = [];
  if (phase === "reading") {
    parts.push(h("h2", { text: t("auth.title") }), h("p", { class: "muted", text: t("auth.reading") }));
  } else if (phase === "ask" || (busy && !authorization.result)) {
    parts.push(
      h("h2", { text: t("auth.title") }),
      h("p", { class: "lead", id: "authorization-asks", text: t("auth.asks", { client }) }),
      h("dl", { class: "facts" },
        h("dt", { text: t("auth.merchant") }), h("dd", { id: "authorization-client", text: client }),
        h("dt", { text: t("auth.acquirer") }), h("dd", { id: "authorization-acquirer", text: prompt.acquirer })),
      h("h3", { text: t("auth.scopes") }),
      scopesList(prompt.scopes),
      h("p", { class: "hint", text: t("auth.later") }),
      h("div", { class: "row" },
        h("button", { type: "button", class: "button secondary", id: "decline-authorization", disabled: busy, text: t("auth.decline"), onclick: () => answer(false) }),
        h("button", { type: "button", class: "button primary", id: "authorize", disabled: busy, text: t("auth.authorize"), onclick: () => answer(true) })),
    );
  } else if (phase === "answered") {
    parts.push(h("h2", { text: t("auth.title") }), h("p", { class: "notice", id: "authorization-answered", text: t("auth.answered", { status: prompt.status }) }));
  } else {
    const { result } = authorization;
    const granted = result.granted;
    parts.push(
      h("div", { class: `outcome ${granted ? "paid" : "failed"}`, id: "authorization-outcome", "data-outcome": granted ? "authorized" : "declined" },
        h("span", { class: "outcome-mark", "aria-hidden": "true" }, icon(granted ? "check" : "cross")),
        h("div", {},
          h("h2", { text: granted ? t("auth.granted") : t("auth.declined") }),
          h("p", { text: granted ? t("auth.grantedText", { client }) : t("auth.declinedText", { client }) }),
          granted ? h("p", { class: "muted small", id: "authorization-notified", text: result.notified ? t("auth.notified") : t("auth.notNotified") }) : null)),
    );
    if (authorization.returned) parts.push(returnedView(authorization.returned, "authorization-returned"));
    else parts.push(h("button", { type: "button", class: "button primary wide", id: "authorization-done", disabled: busy, text: t("merchant.done"), onclick: done }));
  }
  return h("section", { class: "card confirm authorization", id: "authorization", "data-phase": phase }, parts);
}

async function answer(grant) {
  const model = state.run;
  const authorization = model.authorization;
  authorization.phase = "working";
  renderRun();
  try {
    const answered = grant
      ? await app.authorize(authorization.url, model.runId)
      : await app.declineAuthorization(authorization.url, model.runId);
    authorization.result = { granted: grant, notified: Boolean(answered.notified), redirectUrl: answered.redirectUrl };
    authorization.phase = "answered-now";
  } catch (error) {
    authorization.phase = "ask";
    model.notice = errorText(error);
  }
  renderRun();
}

async function done() {
  const authorization = state.run.authorization;
  authorization.phase = "working";
  renderRun();
  authorization.returned = await goBack(authorization.result.redirectUrl);
  authorization.phase = "returned";
  renderRun();
}

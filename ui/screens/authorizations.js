// Authorizations: the merchants this wallet allowed to charge it without asking each time (Auto
// Debit), with their status and when; Unbind (after a confirmation) revokes one, and the wallet
// says whether the merchant acknowledged the notice. Reached from Settings, and from an Auto Debit
// case's run screen (`from` then names the case and run to go back to).
import { t } from "../i18n.js";
import { fill, h } from "../lib/dom.js";
import { go, show } from "../lib/nav.js";
import { app } from "../lib/shell.js";
import { errorText, when } from "../lib/words.js";
import { scopeWords } from "./run/authorize.js";

/** Where each status's words and colour come from: active, revoked, declined or prepared. */
function statusOf(authorization) {
  if (authorization.active) return "active";
  return ["revoked", "declined", "prepared"].includes(authorization.status) ? authorization.status : "revoked";
}

/** Shows the authorizations; `from` is `{ caseId, runId }` when opened from a run. */
export async function showAuthorizations(from = null) {
  const list = h("div", { id: "authorizations-list" }, h("p", { class: "muted", text: t("authorizations.loading") }));
  const status = h("p", { id: "authorizations-status", class: "notice", role: "status", "aria-live": "polite", hidden: true });
  const back = from ? () => go("run", from.caseId, from.runId) : () => go("settings");
  show(
    "authorizations",
    h("header", { class: "bar" },
      h("button", { type: "button", class: "link", id: "authorizations-back", text: `‹ ${from ? from.caseId : t("tabs.settings")}`, onclick: back }),
      h("h1", { class: "title", text: t("authorizations.title") })),
    h("p", { class: "muted", text: t("authorizations.hint") }),
    status,
    list,
  );
  await load(list, status);
}

async function load(list, status) {
  let authorizations;
  try {
    authorizations = await app.authorizations();
  } catch (error) {
    return fill(list, h("p", { class: "notice error", text: errorText(error) }));
  }
  if (!authorizations.length) return fill(list, h("p", { class: "muted", id: "authorizations-none", text: t("authorizations.none") }));
  fill(list, authorizations.map((authorization) => row(authorization, list, status)));
}

function row(authorization, list, status) {
  const kind = statusOf(authorization);
  const confirm = h("div", { class: "unbind-confirm", hidden: true },
    h("p", { text: t("authorizations.confirm", { client: authorization.clientId }) }),
    h("div", { class: "row" },
      h("button", { type: "button", class: "button secondary keep", text: t("authorizations.keep"), onclick: () => { confirm.hidden = true; unbind.hidden = false; } }),
      h("button", { type: "button", class: "button danger confirm-unbind", text: t("authorizations.confirmUnbind"), onclick: (e) => revoke(authorization, e.currentTarget, list, status) })));
  const unbind = authorization.active
    ? h("button", { type: "button", class: "button danger wide unbind", text: t("authorizations.unbind"), onclick: () => { confirm.hidden = false; unbind.hidden = true; } })
    : null;
  return h(
    "section",
    { class: `card authorization-row ${kind}`, "data-authorization": authorization.id, "data-status": kind },
    h("div", { class: "authorization-head" },
      h("h2", { class: "breakable", text: authorization.clientId }),
      h("span", { class: `badge ${kind === "active" ? "passed" : kind === "prepared" ? "open" : "skipped"}`, "data-status": kind, text: t(`authorizations.status.${kind}`) })),
    h("p", { class: "muted small", text: t("authorizations.via", { acquirer: authorization.acquirer }) }),
    h("ul", { class: "scopes" }, (authorization.scopes ?? []).map((scope) => h("li", { "data-scope": scope, text: scopeWords(scope) }))),
    authorization.grantedAt ? h("p", { class: "muted small", text: t("authorizations.granted", { time: when(authorization.grantedAt) }) }) : null,
    authorization.endedAt ? h("p", { class: "muted small", text: t("authorizations.ended", { time: when(authorization.endedAt) }) }) : null,
    authorization.runId ? h("p", { class: "muted small breakable", text: t("authorizations.run", { id: authorization.runId }) }) : null,
    unbind,
    unbind ? confirm : null,
  );
}

async function revoke(authorization, button, list, status) {
  button.disabled = true;
  let text;
  let kind = "notice";
  try {
    const told = await app.revokeAuthorization(authorization.id);
    text = t(told ? "authorizations.unbound" : "authorizations.unboundSilent", { client: authorization.clientId });
    status.dataset.notified = told ? "true" : "false";
  } catch (error) {
    text = errorText(error);
    kind = "notice error";
  }
  status.textContent = text;
  status.className = kind;
  status.hidden = false;
  await load(list, status);
}

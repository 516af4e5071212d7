// Live: the run's events as they arrive from the hub.
import { t } from "../../i18n.js";
import { h } from "../../lib/dom.js";
import { state } from "../../lib/state.js";

/** One line describing a run event. */
export function describeEvent(e) {
  switch (e.kind) {
    case "acqp_call":
      return t("event.pay", { api: e.api, status: `${e.result_status ?? ""} ${e.result_code ?? ""}`.trim() + (e.signature?.verdict === "valid" ? ` · ${t("event.signatureValid")}` : e.signature ? ` · ${e.signature.verdict}` : "") });
    case "hub_callback":
      return t("event.callback", { callback: e.callback, attempt: e.attempt, status: e.http_status ?? e.error ?? "—" });
    case "wallet_action":
      return t("event.wallet", { action: (e.action?.action ?? "").replace(/_/g, " ") });
    case "manual_answer":
      return t("event.manual", { question: e.question_id, answer: e.answer ? t("check.yes") : t("check.no") });
    case "payment_state":
      return t("event.payment", { state: `${e.state}${e.reason ? ` (${e.reason})` : ""}` });
    default:
      return e.kind;
  }
}

/** The run's events as they arrive. */
export function liveCard() {
  const events = state.run.events;
  return h(
    "section",
    { class: "card live", id: "live" },
    h("h2", { text: t("run.live") }),
    events.length
      ? h("ol", { class: "events" }, events.map((e) => h("li", { "data-kind": e.kind }, h("span", { class: "muted small", text: `#${e.seq}` }), " ", describeEvent(e))))
      : h("p", { class: "muted", text: state.run.runId ? t("run.waiting") : "" }),
  );
}

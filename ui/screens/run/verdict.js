// Verdict: the outcome of a run, each check with the evidence it was judged on.
import { t } from "../../i18n.js";
import { h } from "../../lib/dom.js";
import { icon } from "../../lib/icons.js";
import { state } from "../../lib/state.js";
import { badge, outcomeOf } from "../../lib/words.js";
import { describeEvent } from "./live.js";

function pre(text) {
  let body = text ?? "";
  try {
    body = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    // not JSON: as it came
  }
  return h("pre", { text: body });
}

function evidenceItem(e) {
  const details = [];
  if (e.kind === "acqp_call") {
    details.push(h("p", { class: `signature ${e.signature?.verdict}`, text: t("verdict.signature", { verdict: e.signature?.verdict + (e.signature?.reason ? `: ${e.signature.reason}` : "") }) }));
    if (e.validation) details.push(h("p", { class: "notice error", text: e.validation }));
    details.push(h("h4", { text: t("verdict.headers") }), pre(Object.entries(e.request_headers ?? {}).map(([k, v]) => `${k}: ${v}`).join("\n")));
    details.push(h("h4", { text: t("verdict.request") }), pre(e.request_body));
    details.push(h("h4", { text: t("verdict.response") }), pre(e.response_body));
  } else if (e.kind === "hub_callback") {
    details.push(h("p", { class: `signature ${e.reply_signature?.verdict}`, text: t("verdict.signature", { verdict: e.reply_signature?.verdict + (e.reply_signature?.reason ? `: ${e.reply_signature.reason}` : "") }) }));
    details.push(h("h4", { text: t("verdict.request") }), pre(e.request_body));
    details.push(h("h4", { text: t("verdict.reply") }), pre(e.reply_body ?? e.error ?? ""));
  } else {
    details.push(pre(JSON.stringify(e)));
  }
  return h("details", { class: "evidence", "data-seq": e.seq }, h("summary", { text: t("verdict.event", { seq: e.seq, what: describeEvent(e) }) }), details);
}

/** The verdict: outcome, summary, and each check with its evidence (failed first). */
export function verdictCard() {
  const model = state.run;
  const verdict = model.verdict;
  const outcome = outcomeOf(verdict.outcome);
  const evidence = model.report?.evidence ?? model.events;
  const checks = [...(verdict.checks ?? [])].sort((a, b) => (a.outcome === "failed" ? 0 : 1) - (b.outcome === "failed" ? 0 : 1));
  return h(
    "section",
    { class: `card verdict ${outcome}`, id: "verdict", "data-outcome": outcome },
    h("div", { class: "verdict-head" }, h("h2", { text: t("verdict.title") }), badge(outcome)),
    h("p", { class: "verdict-summary", id: "verdict-summary", text: verdict.summary }),
    h("h3", { text: t("verdict.checks") }),
    checks.map((check) =>
      h("details", { class: `check ${check.outcome}`, "data-check": check.check, "data-outcome": check.outcome, open: check.outcome === "failed" },
        h("summary", {}, h("span", { class: "check-mark" }, icon(check.outcome === "passed" ? "check" : check.outcome === "failed" ? "cross" : "more")), " ", h("b", { text: check.check }), h("span", { class: "check-reason", text: ` ${check.reason ?? check.waiting_for ?? ""}` })),
        h("div", { class: "evidence-list" },
          (check.evidence ?? []).length
            ? check.evidence.map((seq) => evidence.find((e) => e.seq === seq)).filter(Boolean).map(evidenceItem)
            : h("p", { class: "muted small", text: t("verdict.noEvidence") })),
      ),
    ),
  );
}

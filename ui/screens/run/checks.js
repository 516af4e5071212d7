// Manual checks: the case's questions a person answers (with an optional photo), kept on the
// device until the hub has them.
import { t } from "../../i18n.js";
import { fileBase64, h } from "../../lib/dom.js";
import { icon } from "../../lib/icons.js";
import { app } from "../../lib/shell.js";
import { state } from "../../lib/state.js";
import { errorText } from "../../lib/words.js";
import { mergeEvents, renderRun } from "./model.js";

function answerState(questionId) {
  const model = state.run;
  const local = model.answers[questionId];
  const recorded = [...model.events].reverse().find((e) => e.kind === "manual_answer" && e.question_id === questionId);
  // On the hub: synced, whatever the device still believes.
  if (recorded) return { answer: recorded.answer, state: "synced" };
  if (!local) return null;
  const unsent = model.unsent.find((w) => w.writeId === local.writeId);
  if (local.state === "failed" || unsent?.state === "failed") return { answer: local.answer, state: "failed", error: local.error ?? unsent?.lastError };
  if (unsent || local.state === "pending") return { answer: local.answer, state: "pending" };
  return { answer: local.answer, state: "synced" };
}

/** True for a case of an online product (Cashier Payment, Auto Debit): a site, not a POS. */
export function onlineProduct(entry) {
  return entry.product === "CASHIER" || entry.product === "AUTO_DEBIT";
}

/** The case's manual questions, with each answer's sync state. */
export function checksCard() {
  const model = state.run;
  const open = model.runId && !model.verdict;
  return h(
    "section",
    { class: "card checks", id: "checks" },
    // Online products (a checkout, an account page) are judged on the merchant's site, not a POS.
    h("h2", { text: t(onlineProduct(model.entry) ? "check.titleSite" : "check.title") }),
    model.entry.manual.map((question) => {
      const answered = answerState(question.id);
      return h(
        "div",
        { class: "question", "data-question": question.id },
        h("p", { class: "question-text", text: question.question }),
        answered
          ? h("p", { class: `answer-state ${answered.state}`, id: `answer-state-${question.id}`, "data-question": question.id, "data-state": answered.state },
              t("check.yourAnswer", { answer: answered.answer ? t("check.yes") : t("check.no") }), " · ",
              answered.state === "synced" ? t("check.synced") : answered.state === "failed" ? t("check.failed", { error: answered.error ?? "" }) : t("check.pending"))
          : null,
        open && !answered
          ? h("div", { class: "row" },
              h("button", { type: "button", class: "button secondary", id: `answer-no-${question.id}`, text: t("check.no"), onclick: () => answer(question.id, false) }),
              h("button", { type: "button", class: "button primary", id: `answer-yes-${question.id}`, text: t("check.yes"), onclick: () => answer(question.id, true) }))
          : null,
        open && !answered
          ? h("label", { class: "link photo" },
              model.photos[question.id] ? [icon("check"), " ", t("check.photoAdded")] : [icon("camera"), " ", t("check.photo")],
              h("input", { type: "file", accept: "image/*", capture: "environment", class: "file-input", id: `photo-${question.id}`, onchange: (e) => addPhoto(question.id, e.target.files?.[0]) }))
          : null,
      );
    }),
  );
}

async function addPhoto(questionId, file) {
  if (!file) return;
  const model = state.run;
  try {
    const receipt = await app.attachPhoto(model.runId, await fileBase64(file));
    model.photos[questionId] = receipt.writeId;
  } catch (error) {
    model.notice = errorText(error);
  }
  renderRun();
}

async function answer(questionId, yes) {
  const model = state.run;
  const input = { questionId, answer: yes };
  if (model.photos[questionId]) input.attachment = model.photos[questionId];
  try {
    const receipt = await app.answerManual(model.runId, input);
    model.answers[questionId] = { answer: yes, writeId: receipt.writeId, state: receipt.state, error: receipt.error };
    if (receipt.state === "pending") model.unsent = [...model.unsent, { writeId: receipt.writeId, state: "pending" }];
    if (receipt.run) mergeEvents(receipt.run.events ?? []);
  } catch (error) {
    model.notice = errorText(error);
  }
  renderRun();
}

// The runs made on this device, searchable, with how many of their writes still wait to sync.
import { t } from "../i18n.js";
import { fill, h } from "../lib/dom.js";
import { go, show } from "../lib/nav.js";
import { app } from "../lib/shell.js";
import { badge, errorText, when } from "../lib/words.js";

/** Shows the history of runs. */
export async function showHistory() {
  let runs = [];
  let outbox = [];
  try {
    [runs, outbox] = await Promise.all([app.history(), app.outbox()]);
  } catch (error) {
    return show("history", h("h1", { class: "title", text: t("history.title") }), h("p", { class: "notice error", text: errorText(error) }));
  }
  const search = h("input", { id: "history-search", type: "search", placeholder: t("history.search"), oninput: () => render() });
  const list = h("div", { id: "history-list" });
  const render = () => {
    const query = search.value.trim().toLowerCase();
    const rows = runs.filter((run) => !query || `${run.caseId} ${run.id} ${run.status}`.toLowerCase().includes(query));
    fill(list, 
      ...(rows.length
        ? rows.map((run) => {
            const waiting = outbox.filter((w) => w.runId === run.id && w.state !== "sent").length;
            return h("button", { type: "button", class: "history-row", "data-run": run.id, onclick: () => go("run", run.caseId, run.id) },
              h("span", { class: "case-id", text: run.caseId }),
              h("span", { class: "history-when muted small", text: when(run.startedAt) }),
              badge(run.status),
              h("span", { class: `sync ${waiting ? "pending" : "synced"}`, "data-sync": waiting ? "pending" : "synced", text: waiting ? t("history.pending", { count: waiting }) : t("history.synced") }));
          })
        : [h("p", { class: "muted", text: t("history.none") })]),
    );
  };
  show("history", h("h1", { class: "title", text: t("history.title") }), search, list);
  render();
}

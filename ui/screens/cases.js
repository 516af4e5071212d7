// The cases of the signed-in merchant, grouped by product, with a filter by outcome.
import { t } from "../i18n.js";
import { h } from "../lib/dom.js";
import { go, show } from "../lib/nav.js";
import { app } from "../lib/shell.js";
import { state } from "../lib/state.js";
import { badge, errorText, outcomeOf, productName } from "../lib/words.js";

function matchesFilter(entry) {
  const outcome = outcomeOf(entry.last?.status);
  switch (state.filter) {
    case "notRun":
      return outcome === "notRun";
    case "failed":
      return outcome === "failed" || outcome === "broken";
    case "passed":
      return outcome === "passed";
    default:
      return true;
  }
}

/** Loads the cases (from the hub, or the device when offline) and shows them. */
export async function showCases() {
  show("cases", h("h1", { class: "title", text: t("cases.title") }), h("p", { class: "muted", text: t("cases.loading") }));
  try {
    state.cases = await app.cases();
  } catch (error) {
    if (error?.code === "NOT_SIGNED_IN" || error?.code === "SESSION_EXPIRED") return go("signIn", "password");
    show("cases", h("h1", { class: "title", text: t("cases.title") }), h("p", { class: "notice error", text: errorText(error) }));
    return;
  }
  renderCases();
}

function renderCases() {
  const list = state.cases;
  const filters = [
    ["all", "cases.filterAll"],
    ["notRun", "cases.filterNotRun"],
    ["failed", "cases.filterFailed"],
    ["passed", "cases.filterPassed"],
  ];
  const chips = h(
    "div",
    { class: "chips", role: "tablist" },
    filters.map(([name, key]) =>
      h("button", {
        type: "button",
        id: `filter-${name}`,
        class: state.filter === name ? "chip active" : "chip",
        text: t(key),
        onclick: () => {
          state.filter = name;
          renderCases();
        },
      }),
    ),
  );
  const groups = list.groups.map((group) => {
    const total = group.cases.length;
    const entries = group.cases.filter(matchesFilter);
    const percent = total ? Math.round((group.passed * 100) / total) : 0;
    return h(
      "section",
      { class: "group", "data-product": group.product },
      h("div", { class: "group-head" },
        h("h2", { text: productName(group.product) }),
        h("span", { class: "muted small", text: t("cases.progress", { passed: group.passed, failed: group.failed, total }) })),
      h("div", { class: "progress", role: "progressbar", "aria-valuenow": percent }, h("span", { style: `width:${percent}%` })),
      entries.map((entry) =>
        h(
          "button",
          { type: "button", class: "case-row", id: `case-${entry.id}`, "data-case": entry.id, onclick: () => go("run", entry.id) },
          h("span", { class: "case-id", text: entry.id }),
          h("span", { class: "case-title", text: entry.title }),
          entry.runnable ? badge(entry.last?.status) : notRunnable(entry),
          !entry.runnable && walletLacks(entry) ? h("span", { class: "case-why muted small", text: entry.notRunnableReason }) : null,
        ),
      ),
    );
  });
  const visible = list.groups.some((g) => g.cases.some(matchesFilter));
  show(
    "cases",
    h("h1", { class: "title", text: t("cases.title") }),
    list.fromCache ? h("p", { class: "notice", text: t("cases.offline", { reason: list.offlineReason ?? "" }) }) : null,
    chips,
    visible ? groups : h("p", { class: "muted", text: t("cases.none") }),
  );
}

/** True when a case cannot run because the wallet under test lacks its product (the hub says why), not because it is not implemented yet. */
function walletLacks(entry) {
  return entry.definition?.implemented !== false && Boolean(entry.notRunnableReason);
}

/** The badge of a case that cannot run: not implemented yet, or not with this wallet under test (the hub's reason shows below it). */
function notRunnable(entry) {
  return h("span", { class: "badge skipped", title: entry.notRunnableReason ?? "", text: t(walletLacks(entry) ? "cases.walletLacks" : "cases.notImplemented") });
}

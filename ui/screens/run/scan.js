// Scan: the customer scans the merchant's order code (or entry code) from the camera, the screen,
// a file, the clipboard or typed text.
import { t } from "../../i18n.js";
import { $, fileBase64, h } from "../../lib/dom.js";
import { icon } from "../../lib/icons.js";
import { currentScreen } from "../../lib/nav.js";
import { app, inApp } from "../../lib/shell.js";
import { state } from "../../lib/state.js";
import { errorText } from "../../lib/words.js";
import { openAuthorization } from "./authorize.js";
import { cameraOn, toggleCamera } from "./camera.js";
import { isCashier, openCashier } from "./cashier.js";
import { onlineProduct } from "./checks.js";
import { setScan } from "./model.js";

/** The scan card: camera, screen, file, clipboard, typed text, and what the last scan said. */
export function scanCard() {
  const model = state.run;
  const scan = model.scan ?? {};
  return h(
    "section",
    { class: "card scan", id: "scan", ondragover: (e) => e.preventDefault(), ondrop: onDrop },
    h("h2", { text: t(onlineProduct(model.entry) ? "scan.titleLink" : "scan.title") }),
    // A case whose customer scans a code the merchant never issued (MPC-02): the wallet makes one.
    model.entry.scansUnissuedCode
      ? h("div", { class: "unissued" },
          h("button", { type: "button", class: "button primary wide", id: "scan-unissued", text: t("scan.unissued"), onclick: scanUnissued }),
          h("p", { class: "hint", text: t("scan.unissuedHint") }))
      : null,
    h("div", { class: "tool-grid" },
      h("button", { type: "button", class: "tool", id: "scan-camera", onclick: () => toggleCamera(handleScan) }, h("span", { class: "tool-icon" }, icon("camera")), cameraOn() ? t("scan.stopCamera") : t("scan.camera")),
      h("button", { type: "button", class: "tool", id: "scan-screen", onclick: scanScreen }, h("span", { class: "tool-icon" }, icon("screen")), t("scan.screen")),
      h("button", { type: "button", class: "tool", id: "scan-file", onclick: () => $("#scan-file-input").click() }, h("span", { class: "tool-icon" }, icon("picture")), t("scan.file")),
      h("button", { type: "button", class: "tool", id: "scan-paste", onclick: scanClipboard }, h("span", { class: "tool-icon" }, icon("paste")), t("scan.paste")),
    ),
    // In a browser on a phone, `capture` opens the phone's own camera app: it works where the
    // camera is refused or absent, and over plain HTTP.
    h("input", { type: "file", id: "scan-file-input", accept: "image/*", capture: inApp ? undefined : "environment", class: "file-input", onchange: onFile }),
    h("div", { id: "camera-slot" }),
    h("p", { class: "hint", text: t("scan.drop") }),
    h("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); scanText($("#scan-text").value); } },
      // What is typed survives the screen drawing itself again as the run's events arrive.
      h("input", { id: "scan-text", placeholder: t("scan.typed"), spellcheck: "false", autocomplete: "off", value: scan.typed ?? "", oninput: (e) => { model.scan = { ...(model.scan ?? {}), typed: e.target.value }; } }),
      h("button", { type: "submit", class: "button small primary", id: "scan-go", text: t("scan.go") }),
    ),
    scan.choices
      ? h("div", { class: "choices", id: "scan-choices" },
          h("p", { text: t("scan.pick") }),
          scan.choices.map((text) => h("button", { type: "button", class: "choice", text, onclick: () => scanText(text) })))
      : null,
    scan.status ? h("p", { class: scan.error ? "notice error" : "notice", id: "scan-status", text: scan.status }) : null,
  );
}

async function onFile(event) {
  const file = event.target.files?.[0];
  if (file) await scanImage(file);
}

async function onDrop(event) {
  event.preventDefault();
  const file = [...(event.dataTransfer?.files ?? [])].find((f) => f.type.startsWith("image/"));
  if (file) await scanImage(file);
  else {
    const text = event.dataTransfer?.getData("text/plain");
    if (text) await scanText(text);
  }
}

async function scanImage(blob) {
  setScan({ status: t("scan.reading"), error: false, choices: null });
  try {
    handleScan(await app.scanImage(await fileBase64(blob)));
  } catch (error) {
    setScan({ status: errorText(error), error: true });
  }
}

/** Scans typed, pasted or linked text (a code, a payment page, an authorization page). */
export async function scanText(text) {
  if (!text?.trim()) return;
  setScan({ status: t("scan.reading"), error: false, choices: null, typed: text });
  // A path to a picture (typed, or dropped from a file manager) is read as the picture.
  const path = text.trim().replace(/^file:\/\//, "");
  const isImagePath = path.startsWith("/") && /\.(png|jpe?g)$/i.test(path);
  try {
    handleScan(await (isImagePath ? app.scanFile(decodeURI(path)) : app.scanText(text)));
  } catch (error) {
    setScan({ status: errorText(error), error: true });
  }
}

async function scanUnissued() {
  setScan({ status: t("scan.reading"), error: false, choices: null });
  try {
    handleScan(await app.scanUnissuedCode(state.run.runId));
  } catch (error) {
    setScan({ status: errorText(error), error: true });
  }
}

async function scanScreen() {
  setScan({ status: t("scan.reading"), error: false, choices: null });
  try {
    // The wallet's own payment code (all digits) is never what the wallet scans.
    const codes = (await app.codesOnScreen()).filter((c) => !/^\d{10,}$/.test(c));
    if (codes.length === 0) return setScan({ status: t("error.NO_CODE_FOUND"), error: true });
    if (codes.length === 1) return scanText(codes[0]);
    setScan({ status: null, choices: codes });
  } catch (error) {
    setScan({ status: errorText(error), error: true });
  }
}

async function scanClipboard() {
  try {
    if (navigator.clipboard?.read) {
      for (const item of await navigator.clipboard.read()) {
        const type = item.types.find((t) => t.startsWith("image/"));
        if (type) return scanImage(await item.getType(type));
      }
    }
    const text = await navigator.clipboard.readText();
    if (text?.trim()) return scanText(text);
    throw new Error("empty");
  } catch {
    setScan({ status: t("scan.clipboardEmpty"), error: true });
  }
}

document.addEventListener("paste", (event) => {
  if (currentScreen() !== "run" || state.run?.tool !== "scan") return;
  if (event.target instanceof HTMLInputElement) return;
  for (const item of event.clipboardData?.items ?? []) {
    if (item.type.startsWith("image/")) {
      event.preventDefault();
      return scanImage(item.getAsFile());
    }
  }
  const text = event.clipboardData?.getData("text/plain");
  if (text) scanText(text);
});

/** Acts on what a scan found: confirm a payment (a cashier page has its own card), answer an
 * authorization, open a merchant page, or say why not. */
export function handleScan(outcome) {
  const model = state.run;
  const next = outcome.next?.action;
  const read = t("scan.read", { text: outcome.read });
  if (next === "confirm" && isCashier(outcome.payment)) {
    openCashier(outcome.payment);
    setScan({ status: read, error: false, choices: null });
  } else if (next === "confirm") {
    model.confirm = outcome.payment;
    setScan({ status: read, error: false, choices: null });
  } else if (next === "authorize") {
    setScan({ status: read, error: false, choices: null });
    openAuthorization(outcome.next.url);
  } else if (next === "expired") {
    setScan({ status: `${read} · ${t("scan.expired")}`, error: true, choices: null });
  } else if (next === "openPage") {
    setScan({ status: `${read} · ${t("scan.openPage")}`, error: false, choices: null });
    app.openPage(outcome.next.url, outcome.next.userAgent).catch((error) =>
      setScan({ status: errorText(error), error: true }),
    );
  } else {
    setScan({ status: `${read} · ${outcome.message}`, error: next === "unknownCode", choices: null });
  }
}

// Generate: any text as a QR code, to save or copy (e.g. to show a POS a code it must read).
import { t } from "../i18n.js";
import { $, fill, h, message, say } from "../lib/dom.js";
import { show } from "../lib/nav.js";
import { app } from "../lib/shell.js";
import { errorText } from "../lib/words.js";

/** Shows the generate screen, the text box filled with `prefill`. */
export function showGenerate(prefill = "") {
  let current = null;
  const output = h("div", { id: "generate-output", class: "center" });
  const make = async () => {
    const text = $("#generate-text").value;
    if (!text.trim()) return;
    try {
      current = await app.generateQr(text);
      fill(output, 
        h("img", { id: "generate-image", class: "generated", src: `data:image/png;base64,${current.png}`, alt: text }),
        h("div", { class: "row" },
          h("button", { type: "button", class: "button secondary", id: "generate-save", text: t("generate.save"), onclick: save }),
          h("button", { type: "button", class: "button secondary", id: "generate-copy", text: t("generate.copy"), onclick: copy })),
        message("generate-status"),
      );
    } catch (error) {
      fill(output, h("p", { class: "notice error", text: errorText(error) }));
    }
  };
  const save = async () => {
    try {
      say("generate-status", t("generate.saved", { path: await app.saveQr(current.text) }), "notice");
    } catch (error) {
      say("generate-status", errorText(error), "notice error");
    }
  };
  const copy = async () => {
    try {
      const blob = await (await fetch(`data:image/png;base64,${current.png}`)).blob();
      await navigator.clipboard.write([new ClipboardItem({ "image/png": blob })]);
      say("generate-status", t("generate.copied"), "notice");
    } catch {
      say("generate-status", t("generate.copyFailed"), "notice error");
    }
  };
  show(
    "generate",
    h("h1", { class: "title", text: t("generate.title") }),
    h("p", { class: "muted", text: t("generate.hint") }),
    h("label", { for: "generate-text", text: t("generate.text") }),
    h("textarea", { id: "generate-text", rows: 3, spellcheck: "false" }, prefill),
    h("button", { type: "button", class: "button primary wide", id: "generate-go", text: t("generate.go"), onclick: make }),
    output,
  );
}

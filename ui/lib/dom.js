// DOM helpers: build elements, fill them, show status lines, read files as base64.

/** Makes an element: attributes (`on*` are listeners, `text` is text), then children. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") element.textContent = value;
    else if (name === "html") element.innerHTML = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** The first element matching `selector`. */
export const $ = (selector) => document.querySelector(selector);

/** Replaces an element's children, skipping the null/false placeholders of optional parts. */
export function fill(element, ...nodes) {
  element.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
}

/** An empty, hidden status line that `say` fills later. */
export function message(id, kind = "notice") {
  return h("p", { id, class: kind, role: "status", "aria-live": "polite", hidden: true });
}

/** Shows `text` in the status line `id` (hidden when empty), optionally with a new class. */
export function say(id, text, kind) {
  const element = document.getElementById(id);
  if (!element) return;
  element.textContent = text;
  element.hidden = !text;
  if (kind) element.className = kind;
}

/** Base64 of an ArrayBuffer, in chunks so large pictures do not overflow the call stack. */
export function toBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Base64 of a file or blob (what the image commands take). */
export async function fileBase64(file) {
  return toBase64(await file.arrayBuffer());
}

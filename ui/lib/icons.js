// Icons drawn as SVG, so they look the same on every machine: a glyph such as ⚙ or ☀ needs a
// font that has it, and a fresh Linux machine often has none (the icon then shows as a box).

const SVG = "http://www.w3.org/2000/svg";

/** Each icon's shapes on a 24×24 grid, stroked in the text's colour. */
const SHAPES = {
  check: [["path", { d: "M5 12.5l4.5 4.5L19 7.5" }]],
  cross: [["path", { d: "M6.5 6.5l11 11M17.5 6.5l-11 11" }]],
  more: [
    ["circle", { cx: 6, cy: 12, r: 1.2 }],
    ["circle", { cx: 12, cy: 12, r: 1.2 }],
    ["circle", { cx: 18, cy: 12, r: 1.2 }],
  ],
  cases: [
    ["rect", { x: 4, y: 4, width: 16, height: 16, rx: 3 }],
    ["path", { d: "M8 12.5l3 3 5-6.5" }],
  ],
  history: [
    ["path", { d: "M4.5 12a7.5 7.5 0 1 0 2.2-5.3" }],
    ["path", { d: "M4.5 4.5v4h4" }],
    ["path", { d: "M12 8v4.5l3 2" }],
  ],
  generate: [
    ["rect", { x: 4, y: 4, width: 6, height: 6, rx: 1 }],
    ["rect", { x: 14, y: 4, width: 6, height: 6, rx: 1 }],
    ["rect", { x: 4, y: 14, width: 6, height: 6, rx: 1 }],
    ["path", { d: "M14 14h2.5v2.5H14zM17.5 17.5H20V20h-2.5zM14 20h1M20 14v1" }],
  ],
  settings: [
    ["circle", { cx: 12, cy: 12, r: 3 }],
    [
      "path",
      {
        d:
          "M12 3.5v2.2M12 18.3v2.2M3.5 12h2.2M18.3 12h2.2M6 6l1.6 1.6M16.4 16.4L18 18M6 18l1.6-1.6M16.4 7.6L18 6",
      },
    ],
    ["circle", { cx: 12, cy: 12, r: 6.3 }],
  ],
  sun: [
    ["circle", { cx: 12, cy: 12, r: 4 }],
    ["path", { d: "M12 2.5v2M12 19.5v2M2.5 12h2M19.5 12h2M5.3 5.3l1.4 1.4M17.3 17.3l1.4 1.4M5.3 18.7l1.4-1.4M17.3 6.7l1.4-1.4" }],
  ],
  screen: [
    ["rect", { x: 3, y: 4.5, width: 18, height: 12, rx: 1.5 }],
    ["path", { d: "M9 20h6M12 16.5V20" }],
  ],
  picture: [
    ["rect", { x: 4, y: 4, width: 16, height: 16, rx: 2 }],
    ["circle", { cx: 9, cy: 9.5, r: 1.6 }],
    ["path", { d: "M20 15l-4.5-4.5L6 20" }],
  ],
  paste: [
    ["rect", { x: 6, y: 4.5, width: 12, height: 16, rx: 2 }],
    ["path", { d: "M9.5 4.5V3h5v1.5M9 10h6M9 14h6" }],
  ],
  camera: [
    ["path", { d: "M3.5 8.5h3.5l2-3h6l2 3h3.5v10.5h-17z" }],
    ["circle", { cx: 12, cy: 13.5, r: 3.5 }],
  ],
};

/** An inline SVG icon (`name` is a key of SHAPES), hidden from screen readers: the words beside it speak. */
export function icon(name, className = "icon") {
  const svg = document.createElementNS(SVG, "svg");
  for (const [key, value] of Object.entries({
    viewBox: "0 0 24 24",
    class: className,
    "aria-hidden": "true",
    focusable: "false",
    fill: "none",
    stroke: "currentColor",
    "stroke-width": "2",
    "stroke-linecap": "round",
    "stroke-linejoin": "round",
  })) {
    svg.setAttribute(key, value);
  }
  for (const [tag, attrs] of SHAPES[name] ?? []) {
    const shape = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) shape.setAttribute(key, String(value));
    if (tag === "circle" && attrs.r < 2) shape.setAttribute("fill", "currentColor");
    svg.append(shape);
  }
  return svg;
}

/** Puts an icon into every `[data-icon]` element of the page (the static tab bar). */
export function drawIcons(root = document) {
  for (const slot of root.querySelectorAll("[data-icon]")) {
    slot.replaceChildren(icon(slot.dataset.icon));
  }
}

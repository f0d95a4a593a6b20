// CSS colours (as the theme gives them) to the bytes a vertex colour takes.

let probe: CanvasRenderingContext2D | null | undefined;

/** `#rgb`, `#rrggbb`, `#rrggbbaa`, `rgb(...)` or `rgba(...)` as [r, g, b, a] bytes; any other CSS
 *  colour through a canvas's normalisation when there is one; else `fallback`. */
export function cssRgba(css: string, fallback: [number, number, number, number] = [128, 128, 128, 255]): [number, number, number, number] {
  const s = css.trim().toLowerCase();
  let m = /^#([0-9a-f]{3,8})$/.exec(s);
  if (m && [3, 6, 8].includes(m[1].length)) {
    const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join("") : m[1];
    const v = [0, 2, 4, 6].map((i) => (i < hex.length ? parseInt(hex.slice(i, i + 2), 16) : 255));
    return [v[0], v[1], v[2], v[3]];
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/.exec(s);
  if (m) {
    const a = m[4] === undefined ? 1 : m[4].endsWith("%") ? parseFloat(m[4]) / 100 : parseFloat(m[4]);
    const byte = (x: number) => Math.max(0, Math.min(255, Math.round(x)));
    return [byte(+m[1]), byte(+m[2]), byte(+m[3]), byte(a * 255)];
  }
  if (probe === undefined) {
    try {
      probe = typeof document !== "undefined" ? document.createElement("canvas").getContext("2d") : null;
    } catch {
      probe = null;
    }
  }
  if (probe && s) {
    probe.fillStyle = "#000";
    probe.fillStyle = s;
    const out = String(probe.fillStyle);
    if (out !== s && (out.startsWith("#") || out.startsWith("rgb"))) return cssRgba(out, fallback);
  }
  return fallback;
}

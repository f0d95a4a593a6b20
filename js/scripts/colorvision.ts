// Colour science for choosing and checking the run palette: sRGB ↔ linear RGB, simulated colour
// vision deficiencies (Machado, Oliveira & Fernandes 2009, severity 1.0, applied in linear RGB),
// CIELAB (D65), CIEDE2000 (Sharma, Wu & Dalal 2005) and WCAG contrast ratios.

export type Vision = "normal" | "protanopia" | "deuteranopia" | "tritanopia";

/** Machado et al. (2009) severity-1.0 matrices, linear RGB → simulated linear RGB. */
export const MACHADO: Readonly<Record<Vision, readonly (readonly number[])[]>> = {
  normal: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
  tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.3039]],
};

export const VISIONS = Object.keys(MACHADO) as Vision[];

/** `#rrggbb` → [r, g, b] in 0..1. */
export function parseHex(hex: string): [number, number, number] {
  if (typeof hex !== "string") throw new TypeError(`hex must be a string like #1a2b3c, got ${typeof hex}`);
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new RangeError(`hex must be a colour like #1a2b3c, got ${JSON.stringify(hex)}`);
  return [parseInt(m[1], 16) / 255, parseInt(m[2], 16) / 255, parseInt(m[3], 16) / 255];
}

const toLinear = (c: number): number => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);

/** Linear RGB of a hex colour. */
export function linearRgb(hex: string): [number, number, number] {
  const [r, g, b] = parseHex(hex);
  return [toLinear(r), toLinear(g), toLinear(b)];
}

/** CIELAB (D65 white) of a linear RGB triple (clipped to the gamut first). */
export function labOfLinear(linear: readonly number[]): [number, number, number] {
  const l = linear.map((v) => Math.min(1, Math.max(0, v)));
  const X = (0.4124564 * l[0] + 0.3575761 * l[1] + 0.1804375 * l[2]) / 0.95047;
  const Y = 0.2126729 * l[0] + 0.7151522 * l[1] + 0.072175 * l[2];
  const Z = (0.0193339 * l[0] + 0.119192 * l[1] + 0.9503041 * l[2]) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  return [116 * f(Y) - 16, 500 * (f(X) - f(Y)), 200 * (f(Y) - f(Z))];
}

/** CIELAB of a hex colour as seen with `vision`. */
export function labAs(hex: string, vision: Vision): [number, number, number] {
  const l = linearRgb(hex);
  const m = MACHADO[vision];
  return labOfLinear(m.map((row) => row[0] * l[0] + row[1] * l[1] + row[2] * l[2]));
}

const deg = Math.PI / 180;

/** CIEDE2000 colour difference of two CIELAB colours (kL = kC = kH = 1). */
export function ciede2000(a: readonly number[], b: readonly number[]): number {
  const [L1, a1, b1] = a;
  const [L2, a2, b2] = b;
  const C1 = Math.hypot(a1, b1);
  const C2 = Math.hypot(a2, b2);
  const Cbar7 = ((C1 + C2) / 2) ** 7;
  const G = 0.5 * (1 - Math.sqrt(Cbar7 / (Cbar7 + 25 ** 7)));
  const a1p = (1 + G) * a1;
  const a2p = (1 + G) * a2;
  const C1p = Math.hypot(a1p, b1);
  const C2p = Math.hypot(a2p, b2);
  const hue = (x: number, y: number) => (x === 0 && y === 0 ? 0 : (Math.atan2(y, x) / deg + 360) % 360);
  const h1p = hue(a1p, b1);
  const h2p = hue(a2p, b2);
  const dLp = L2 - L1;
  const dCp = C2p - C1p;
  let dhp = 0;
  if (C1p * C2p !== 0) {
    dhp = h2p - h1p;
    if (dhp > 180) dhp -= 360;
    else if (dhp < -180) dhp += 360;
  }
  const dHp = 2 * Math.sqrt(C1p * C2p) * Math.sin((dhp / 2) * deg);
  const Lbp = (L1 + L2) / 2;
  const Cbp = (C1p + C2p) / 2;
  let hbp = h1p + h2p;
  if (C1p * C2p !== 0) {
    if (Math.abs(h1p - h2p) > 180) hbp += h1p + h2p < 360 ? 360 : -360;
    hbp /= 2;
  }
  const T = 1 - 0.17 * Math.cos((hbp - 30) * deg) + 0.24 * Math.cos(2 * hbp * deg)
    + 0.32 * Math.cos((3 * hbp + 6) * deg) - 0.2 * Math.cos((4 * hbp - 63) * deg);
  const dTheta = 30 * Math.exp(-(((hbp - 275) / 25) ** 2));
  const Cbp7 = Cbp ** 7;
  const RC = 2 * Math.sqrt(Cbp7 / (Cbp7 + 25 ** 7));
  const SL = 1 + (0.015 * (Lbp - 50) ** 2) / Math.sqrt(20 + (Lbp - 50) ** 2);
  const SC = 1 + 0.045 * Cbp;
  const SH = 1 + 0.015 * Cbp * T;
  const RT = -Math.sin(2 * dTheta * deg) * RC;
  const l = dLp / SL;
  const c = dCp / SC;
  const hh = dHp / SH;
  return Math.sqrt(l * l + c * c + hh * hh + RT * c * hh);
}

/** The smallest CIEDE2000 difference between any two colours of `hexes` as seen with `vision`. */
export function minPairwise(hexes: readonly string[], vision: Vision): number {
  const labs = hexes.map((c) => labAs(c, vision));
  let min = Infinity;
  for (let i = 0; i < labs.length; i++) {
    for (let j = i + 1; j < labs.length; j++) min = Math.min(min, ciede2000(labs[i], labs[j]));
  }
  return min;
}

/** WCAG 2 contrast ratio of two hex colours (1..21). */
export function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const l = linearRgb(hex);
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

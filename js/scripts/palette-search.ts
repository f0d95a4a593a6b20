// Chooses the 12 run colours of js/src/runstyle.ts (PALETTE). Run from js/:
//   npx esbuild scripts/palette-search.ts --bundle --platform=node --log-level=warning | node
//
// Candidates: Okabe & Ito (2008), Paul Tol's bright, vibrant, muted, high-contrast and light sets
// (personal.sron.nl/~pault), Tol's discrete rainbow colours of the previous palette, Tableau 10 and
// an sRGB grid (GRID). Kept: colours readable as lines on a light and on a dark background (WCAG contrast >= 2 against
// white and >= 2.3 against #111111) that are not greys (CIELAB chroma >= 15). Chosen: the 12 that
// maximise the smallest CIEDE2000 difference between any two of them under normal vision and
// simulated protanopia, deuteranopia and tritanopia (Machado et al. 2009), the simulated ones
// counted twice (CVD_WEIGHT) so normal vision keeps the larger margin, found by a greedy
// maximin start from every candidate followed by single swaps while they improve the score
// (ties broken by the sum of the smallest differences). Prints the palette and its minima:
// normal 21.3, protanopia 10.3, deuteranopia 10.8, tritanopia 11.2 (js/tests/runstyle.test.ts).
declare const process: { env: Record<string, string | undefined> };
import { contrast, labAs, ciede2000, VISIONS, type Vision } from "./colorvision";

const SETS: Record<string, string[]> = {
  okabeIto: ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"],
  tolBright: ["#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB"],
  tolVibrant: ["#EE7733", "#0077BB", "#33BBEE", "#EE3377", "#CC3311", "#009988", "#BBBBBB"],
  tolMuted: ["#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933", "#AA4499", "#DDDDDD"],
  tolHighContrast: ["#004488", "#DDAA33", "#BB5566"],
  tolLight: ["#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF", "#44BB99", "#BBCC33", "#AAAA00", "#DDDDDD"],
  tolRainbow: ["#1965B0", "#E8601C", "#4EB265", "#994F88", "#F4A736", "#7BAFDE", "#DC050C", "#AA6F9E", "#5289C7", "#A5170E", "#CAACCB", "#BA8DB4"],
  tableau10: ["#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F", "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC"],
};

const SIZE = 12;

function usable(c: string): boolean {
  const [, a, b] = labAs(c, "normal");
  return contrast(c, "#FFFFFF") >= 2 && contrast(c, "#111111") >= Number(process.env.DARK ?? "2.3") && Math.hypot(a, b) >= 15;
}

// Plus an sRGB grid (every channel 0x00, 0x33, ..., 0xFF; GRID=0x22 for a finer one, GRID=0 for none).
const step = Number(process.env.GRID ?? "0x33");
const grid: string[] = [];
if (step > 0) {
  const hex = (v: number) => v.toString(16).padStart(2, "0").toUpperCase();
  for (let r = 0; r < 256; r += step) for (let g = 0; g < 256; g += step) for (let b = 0; b < 256; b += step) grid.push(`#${hex(r)}${hex(g)}${hex(b)}`);
}
const candidates = [...new Set([...Object.values(SETS).flat(), ...grid].map((c) => c.toUpperCase()))].filter(usable);
const n = candidates.length;
// dist[i][j]: the smallest CIEDE2000 difference of candidates i and j over the four visions.
const labs = new Map<Vision, number[][]>(VISIONS.map((v) => [v, candidates.map((c) => labAs(c, v))]));
// Simulated deficiencies count CVD_WEIGHT times their difference: with a weight above 1, normal
// vision's differences are kept larger than the deficiencies' (which live in a plane).
const weight = Number(process.env.CVD_WEIGHT ?? "2");
const dist = candidates.map((_, i) => candidates.map((__, j) =>
  i === j ? Infinity : Math.min(...VISIONS.map((v) => (v === "normal" ? 1 : weight) * ciede2000(labs.get(v)![i], labs.get(v)![j])))));

/** [smallest pair difference, sum of each colour's nearest-neighbour difference] (higher is better). */
function score(set: number[]): [number, number] {
  let min = Infinity;
  let sum = 0;
  for (const i of set) {
    let near = Infinity;
    for (const j of set) if (j !== i) near = Math.min(near, dist[i][j]);
    min = Math.min(min, near);
    sum += near;
  }
  return [min, sum];
}
const better = (a: [number, number], b: [number, number]) => a[0] > b[0] + 1e-9 || (Math.abs(a[0] - b[0]) <= 1e-9 && a[1] > b[1] + 1e-9);

let best: number[] = [];
let bestScore: [number, number] = [-Infinity, -Infinity];
for (let start = 0; start < n; start++) {
  const set = [start];
  while (set.length < SIZE) {
    let pick = -1;
    let far = -Infinity;
    for (let c = 0; c < n; c++) {
      if (set.includes(c)) continue;
      const d = Math.min(...set.map((s) => dist[s][c]));
      if (d > far) [far, pick] = [d, c];
    }
    set.push(pick);
  }
  let s = score(set);
  for (let improved = true; improved;) {
    improved = false;
    for (let k = 0; k < SIZE && !improved; k++) {
      for (let c = 0; c < n && !improved; c++) {
        if (set.includes(c)) continue;
        const trial = set.slice();
        trial[k] = c;
        const t = score(trial);
        if (better(t, s)) [s, improved] = [t, true], set.splice(0, SIZE, ...trial);
      }
    }
  }
  if (better(s, bestScore)) [best, bestScore] = [set.slice(), s];
}

const palette = best.map((i) => candidates[i]);
console.log(`${n} usable candidates`);
console.log(JSON.stringify(palette));
for (const v of VISIONS) {
  let min = Infinity;
  for (let i = 0; i < SIZE; i++) for (let j = i + 1; j < SIZE; j++) min = Math.min(min, ciede2000(labs.get(v)![best[i]], labs.get(v)![best[j]]));
  console.log(`${v}: min CIEDE2000 ${min.toFixed(2)}`);
}

// How a run looks everywhere in the dashboard: its colour (derived from its name, so the same run
// has the same colour in every dashboard and keeps it while other runs appear) and its label.

/**
 * Twelve colours chosen by js/scripts/palette-search.ts from Okabe-Ito, Paul Tol's sets, Tableau 10
 * and an sRGB grid: readable on light and dark backgrounds (contrast >= 2 on white, >= 2.3 on
 * #111) and as far apart as possible: every pair differs by CIEDE2000 >= 21 for normal vision and
 * >= 10 under simulated protanopia, deuteranopia and tritanopia (Machado et al. 2009);
 * js/tests/runstyle.test.ts checks this. Beyond 12 runs colours are reused (see `colorFor`).
 */
export const PALETTE: readonly string[] = [
  "#0072B2", "#9966FF", "#669999", "#E69F00", "#CAACCB", "#CC0099",
  "#3300FF", "#996666", "#006633", "#999966", "#00CC99", "#D55E00",
];

/** FNV-1a hash of a string's UTF-16 code units (unsigned 32-bit). */
export function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A run's colour: the palette slot its name hashes to. With `taken` (colours already given to
 * other runs of the same dashboard), the first free slot after it instead, so a new run avoids
 * existing colours while there are free ones; once all are taken, the hashed slot (so beyond 12
 * runs a colour is shared, by runs chosen by their names' hashes).
 */
export function colorFor(name: string, taken?: ReadonlySet<string>): string {
  if (typeof name !== "string") throw new TypeError(`colorFor: name must be a string, got ${typeof name}`);
  const start = hashName(name) % PALETTE.length;
  if (taken) {
    for (let k = 0; k < PALETTE.length; k++) {
      const c = PALETTE[(start + k) % PALETTE.length];
      if (!taken.has(c)) return c;
    }
  }
  return PALETTE[start];
}

/**
 * Colours of one dashboard's runs: each run gets `colorFor(name, colours in use)` the first time
 * it is seen and keeps it for the dashboard's lifetime, whatever runs appear later. `release`
 * gives a run's slot back (a run that turned out to be part of another, see runfold.ts).
 */
export class RunColors {
  private byName = new Map<string, string>();
  /** Colour → how many runs hold it (more than one once the palette is used up). */
  private used = new Map<string, number>();

  /** The run's colour, assigned on first sight. */
  of(name: string): string {
    let c = this.byName.get(name);
    if (c === undefined) {
      c = colorFor(name, this.used.size < PALETTE.length ? new Set(this.used.keys()) : undefined);
      this.byName.set(name, c);
      this.used.set(c, (this.used.get(c) ?? 0) + 1);
    }
    return c;
  }

  /** Whether the run holds a colour. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Give the run's colour back (free for the next new run once no other run holds it). */
  release(name: string): void {
    const c = this.byName.get(name);
    if (c === undefined) return;
    this.byName.delete(name);
    const left = (this.used.get(c) ?? 1) - 1;
    if (left > 0) this.used.set(c, left);
    else this.used.delete(c);
  }
}

/**
 * Colours that tell apart the runs of a selection (the runs shown at once): with at most
 * PALETTE.length runs, no two share a colour. Each run keeps its own colour unless a run that
 * appeared earlier (lower `index`) holds it; such a run takes the first free palette colour after
 * its own, so a run that appears later never takes an earlier one's colour. With more runs than
 * colours every run keeps its own. Returns the runs whose colour changes, with their new colour.
 */
export function distinctColors(runs: readonly { name: string; index: number; color: string }[]): Map<string, string> {
  const out = new Map<string, string>();
  if (runs.length < 2 || runs.length > PALETTE.length) return out;
  const order = [...runs].sort((a, b) => a.index - b.index);
  const kept = new Set<string>();
  const moved: { name: string; color: string }[] = [];
  for (const r of order) {
    if (kept.has(r.color)) moved.push(r);
    else kept.add(r.color);
  }
  for (const r of moved) {
    const own = PALETTE.indexOf(r.color);
    const start = own >= 0 ? own : hashName(r.name) % PALETTE.length;
    for (let k = 1; k <= PALETTE.length; k++) {
      const c = PALETTE[(start + k) % PALETTE.length];
      if (!kept.has(c)) {
        kept.add(c);
        out.set(r.name, c);
        break;
      }
    }
  }
  return out;
}

/** Last path component of a log directory ("runs/exp1/" → "exp1"); "" when there is none. */
export function logdirName(logdir: string): string {
  const parts = logdir.split(/[\\/]+/).filter((p) => p !== "" && p !== "." && !/^[a-z][\w+.-]*:$/i.test(p));
  return parts.length > 0 ? parts[parts.length - 1] : "";
}

/**
 * The label shown for a run: the root run "." is named after the log directory's last component
 * (or "(root)" when the log directory has none); every other run shows its own name.
 */
export function displayName(run: string, logdir = ""): string {
  if (typeof run !== "string") throw new TypeError(`displayName: run must be a string, got ${typeof run}`);
  if (run !== ".") return run;
  return logdirName(typeof logdir === "string" ? logdir : "") || "(root)";
}

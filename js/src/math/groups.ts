// Run groups: the same rules as tbx_widget/groups.py (cases shared in
// tests/fixtures/groups_cases.json), and the per-step aggregation of a group's series as
// tbx_widget/reader/aggregate.py does it (mean, median, min, max, std, count over ragged steps).

export type GroupBy = "off" | "ranks" | "regex" | "prefix" | "hparam";
export type GroupStat = "mean" | "median";
export type GroupBand = "minmax" | "std" | "none";

/** A grouping in its JSON form (view_settings.group), with how the dashboard draws groups. */
export interface Grouping {
  by: GroupBy;
  pattern?: string;
  sep?: string;
  name?: string;
  /** The group's line: mean or median of its members (default mean). */
  stat?: GroupStat;
  /** The band around it: min to max, ±1 std, or none (default minmax). */
  band?: GroupBand;
  /** Draw the member runs faint underneath (default false). */
  members?: boolean;
}

export const GROUP_OFF: Grouping = { by: "off" };
const BYS: readonly GroupBy[] = ["off", "ranks", "regex", "prefix", "hparam"];
const RANK_WORDS = ["gpu", "rank", "local_rank", "worker", "proc", "process", "device", "cuda", "node"];
/** A rank: a known word, optional "_" or "-", digits; starting a path component or after "_", "-", "."; ending its component. */
export const RANK_PATTERN = `(^|[/_.\\-])(${RANK_WORDS.join("|")})([_\\-]?)(\\d+)(?=$|/)`;
const RANK_RE = new RegExp(RANK_PATTERN, "gi");

/** A valid grouping from stored settings, or null when `raw` is not one (an invalid regex included). */
export function parseGrouping(raw: unknown): Grouping | null {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  if (typeof r.by !== "string" || !(BYS as readonly string[]).includes(r.by)) return null;
  const g: Grouping = { by: r.by as GroupBy };
  if (g.by === "regex") {
    if (typeof r.pattern !== "string" || r.pattern === "" || compileGroupRegex(r.pattern) === null) return null;
    g.pattern = r.pattern;
  } else if (g.by === "prefix") {
    const sep = r.sep === undefined ? "/" : r.sep;
    if (typeof sep !== "string" || sep === "") return null;
    g.sep = sep;
  } else if (g.by === "hparam") {
    if (typeof r.name !== "string" || r.name === "") return null;
    g.name = r.name;
  }
  if (r.stat === "mean" || r.stat === "median") g.stat = r.stat;
  if (r.band === "minmax" || r.band === "std" || r.band === "none") g.band = r.band;
  if (typeof r.members === "boolean") g.members = r.members;
  return g;
}

/** The pattern as a JS RegExp (null when JS cannot compile it). */
export function compileGroupRegex(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern);
  } catch {
    return null;
  }
}

function fmtHparam(v: unknown): string {
  if (typeof v === "boolean") return v ? "true" : "false";
  return String(v);
}

/** The group of `run` under `g`; a run the grouping does not place is a group of its own (its name). */
export function groupKey(run: string, g: Grouping, hparams?: Record<string, unknown> | null): string {
  let key: string | null = null;
  if (g.by === "ranks") {
    let n = 0;
    const out = run.replace(RANK_RE, (_m, pre: string, word: string, sep: string) => {
      n++;
      return `${pre}${word}${sep}*`;
    });
    key = n ? out : null;
  } else if (g.by === "regex" && g.pattern) {
    const re = compileGroupRegex(g.pattern);
    const m = re ? re.exec(run) : null;
    if (m) {
      key = m.length > 1 ? m.slice(1).filter((x) => x !== undefined).join(",") : run.slice(0, m.index) + g.pattern + run.slice(m.index + m[0].length);
    }
  } else if (g.by === "prefix") {
    const cut = run.lastIndexOf(g.sep ?? "/");
    if (cut > 0) key = run.slice(0, cut);
  } else if (g.by === "hparam" && g.name && hparams && Object.prototype.hasOwnProperty.call(hparams, g.name)) {
    key = `${g.name}=${fmtHparam(hparams[g.name])}`;
  }
  return key === null || key === "" ? run : key;
}

/** Group key → member runs in the given order; groups in order of their first member. */
export function groupRuns(runs: readonly string[], g: Grouping, hparams?: Record<string, Record<string, unknown>>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const run of runs) {
    const key = groupKey(run, g, hparams?.[run]);
    const members = out.get(key);
    if (members) members.push(run);
    else out.set(key, [run]);
  }
  return out;
}

/** One member's series: `n` points of step and value (steps in any order). */
export interface MemberSeries {
  step: ArrayLike<number>;
  value: ArrayLike<number>;
  n: number;
}

/** Per-step statistics over a group's members (by increasing step); NaN where count is 0. */
export interface GroupStats {
  step: Float64Array;
  mean: Float64Array;
  median: Float64Array;
  min: Float64Array;
  max: Float64Array;
  std: Float64Array;
  count: Int32Array;
  n: number;
}

/** A member's steps, ascending and each once. */
function uniqueSteps(m: MemberSeries): Float64Array {
  const a = new Float64Array(m.n);
  let sorted = true;
  for (let i = 0; i < m.n; i++) {
    a[i] = m.step[i];
    if (i && !(a[i] > a[i - 1])) sorted = false;
  }
  if (sorted) return a;
  a.sort();
  let u = 0;
  for (let i = 0; i < a.length; i++) if (u === 0 || a[i] !== a[u - 1]) a[u++] = a[i];
  return a.slice(0, u);
}

/** The union of two ascending unique arrays. */
function union(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    if (a[i] < b[j]) out[k++] = a[i++];
    else if (b[j] < a[i]) out[k++] = b[j++];
    else {
      out[k++] = a[i++];
      j++;
    }
  }
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return k === out.length ? out : out.slice(0, k);
}

/** Every step of the members, ascending, once: pairwise merges (members' steps are mostly sorted). */
function allSteps(members: readonly MemberSeries[]): Float64Array {
  let level = members.map(uniqueSteps);
  if (level.length === 0) return new Float64Array(0);
  while (level.length > 1) {
    const next: Float64Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? union(level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0];
}

/**
 * Aggregate members step by step: the union of their steps; at each step the members with a
 * (non-NaN) value there, a member's last value for a step it logged twice; std is the
 * population std (0 for one member). As tbx_widget/reader/aggregate.py. Without `median`
 * the median is left NaN (it is the one statistic that needs the values sorted).
 */
export function aggregateSeries(members: readonly MemberSeries[], median = true): GroupStats {
  let total = 0;
  for (const m of members) total += m.n;
  const step = allSteps(members);
  const u = step.length;
  // Each member's last value per step, as (position, value) pairs.
  const pos = new Int32Array(total);
  const val = new Float64Array(total);
  const mark = new Int32Array(u).fill(-1);
  const slot = new Int32Array(u);
  let pairs = 0;
  members.forEach((m, mi) => {
    let p = 0;
    for (let i = 0; i < m.n; i++) {
      const s = m.step[i];
      if (step[p] !== s) p = step[p + 1] === s ? p + 1 : lowerBound(step, s); // sorted members move on one by one
      if (mark[p] !== mi) {
        mark[p] = mi;
        slot[p] = pairs;
        pos[pairs++] = p;
      }
      val[slot[p]] = m.value[i];
    }
  });
  const count = new Int32Array(u);
  for (let i = 0; i < pairs; i++) if (!Number.isNaN(val[i])) count[pos[i]]++;
  const start = new Int32Array(u + 1);
  for (let p = 0; p < u; p++) start[p + 1] = start[p] + count[p];
  const vals = new Float64Array(start[u]);
  const fill = start.slice(0, u);
  for (let i = 0; i < pairs; i++) if (!Number.isNaN(val[i])) vals[fill[pos[i]]++] = val[i];
  const out: GroupStats = {
    step, count, n: u,
    mean: new Float64Array(u).fill(NaN), median: new Float64Array(u).fill(NaN),
    min: new Float64Array(u).fill(NaN), max: new Float64Array(u).fill(NaN), std: new Float64Array(u).fill(NaN),
  };
  for (let p = 0; p < u; p++) {
    const c = count[p];
    if (c === 0) continue;
    const seg = vals.subarray(start[p], start[p] + c);
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < c; i++) {
      const v = seg[i];
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const mean = sum / c;
    let ss = 0;
    for (let i = 0; i < c; i++) ss += (seg[i] - mean) * (seg[i] - mean);
    out.mean[p] = mean;
    out.std[p] = Math.sqrt(ss / c);
    out.min[p] = min;
    out.max[p] = max;
    if (median) {
      if (c > 1) seg.sort();
      const lo = (c - 1) >> 1;
      const hi = c >> 1;
      out.median[p] = lo === hi ? seg[lo] : (seg[lo] + seg[hi]) / 2;
    }
  }
  return out;
}

function lowerBound(x: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

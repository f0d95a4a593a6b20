// Folding `add_hparams` session runs into the run that logged them.
//
// tensorboardX and torch write each `add_hparams` call into a child directory of the writer's
// run (named by `time.time()` unless `name`/`run_name` is given): `<run>/<timestamp>` holds the
// three hparams records and one scalar per metric. Users think of it as part of `<run>`.
//
// The rule: run C folds into run P when
//   1. C is a direct child of P (`P/<segment>`, or a top-level `<segment>` when P is the root "."),
//   2. P is a run itself and logged no session of its own,
//   3. C holds a `session_start` hparams record and nothing but hparams records and scalars,
//   4. C is P's only child holding a session (one writer sweeping many sessions into sibling
//      children, as `for hp in grid: w.add_hparams(hp, ...)` does, keeps one entry per session).
import { KINDS, type Kind } from "./protocol";
import type { Store } from "./store";

/** The run directory one level up (`.` for a top-level run), or null for the root itself. */
export function parentRun(name: string): string | null {
  if (name === "." || name === "") return null;
  const i = name.lastIndexOf("/");
  return i < 0 ? "." : name.slice(0, i);
}

/** Kinds a session run may not hold (any but its hparams records and metric scalars). */
const OTHER_KINDS: readonly Kind[] = KINDS.filter((k) => k !== "scalars" && k !== "hparams");

/** Folded runs of `store`: child run name → the parent run it folds into (see the rule above). */
export function computeFolds(store: Store): Map<string, string> {
  const sessions = new Set<string>();
  for (const tag of store.tags("hparams")) {
    for (const [run, s] of store.byTag("hparams", tag)) {
      if (s.entries.some((r) => r.record === "session_start")) sessions.add(run);
    }
  }
  const sessionChildren = new Map<string, string[]>();
  for (const run of sessions) {
    const p = parentRun(run);
    if (p === null) continue;
    const list = sessionChildren.get(p);
    if (list) list.push(run);
    else sessionChildren.set(p, [run]);
  }
  const other = new Set<string>();
  for (const kind of OTHER_KINDS) {
    for (const tag of store.tags(kind)) for (const run of store.byTag(kind, tag).keys()) other.add(run);
  }
  const folds = new Map<string, string>();
  for (const [parent, children] of sessionChildren) {
    if (children.length !== 1 || !store.run(parent) || sessions.has(parent)) continue;
    const child = children[0];
    if (!other.has(child)) folds.set(child, parent);
  }
  return folds;
}

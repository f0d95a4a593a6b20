// Many runs: colours of folded hparams sessions, the virtualised runs panel at 1,000 runs and the
// HParams table of 1,000 sessions (issue 19, "Sweeps at scale").
import { describe, expect, it } from "vitest";
import { decodeBatch } from "../src/protocol";
import { PALETTE, RunColors, colorFor } from "../src/runstyle";
import { Store } from "../src/store";
import { UiState } from "../src/ui";
import { chartLines } from "../src/views/customscalars";
import { BatchBuilder } from "./helpers";

const START = (lr: number) => [
  { record: "experiment", data: { hparams: [{ name: "lr", type: "DATA_TYPE_FLOAT64" }], metrics: [{ tag: "hparam/acc", group: "" }] } },
  { record: "session_start", data: { hparams: { lr }, group_name: "" } },
  { record: "session_end", data: { status: "STATUS_SUCCESS" } },
];

function apply(store: Store, b: BatchBuilder, seq: number, reset: boolean, runs: string[]): void {
  const { msg, buffers } = b.build(seq, reset, runs);
  store.apply(decodeBatch(msg, buffers));
}

describe("colours of folded hparams sessions", () => {
  it("a session run takes its training's colour and no palette slot of its own", () => {
    const trainings = Array.from({ length: PALETTE.length }, (_, i) => `lr=${i}`);
    const b = new BatchBuilder();
    const runs: string[] = [];
    trainings.forEach((t, i) => {
      b.scalars(t, "loss", [0, 1], [1, 0.5]).hparams(`${t}/1733.${i}`, START(i)).scalars(`${t}/1733.${i}`, "hparam/acc", [0], [0.9]);
      runs.push(t, `${t}/1733.${i}`); // each session named right after its training
    });
    const store = new Store();
    apply(store, b, 1, true, runs);
    // 12 trainings, 12 colours: the sessions took none of them.
    expect(new Set(trainings.map((t) => store.run(t)?.color)).size).toBe(PALETTE.length);
    trainings.forEach((t, i) => expect(store.run(`${t}/1733.${i}`)?.color).toBe(store.run(t)?.color));
    // Without folding the 24 runs would have shared the 12 colours two by two.
    const plain = new RunColors();
    for (const r of runs) plain.of(r);
    expect(new Set(trainings.map((t) => plain.of(t))).size).toBeLessThan(PALETTE.length);
  });

  it("a slot taken before the session record arrived is given back", () => {
    const store = new Store();
    apply(store, new BatchBuilder().scalars("a", "loss", [0], [1]), 1, true, ["a"]);
    // The session's scalars come in one batch, its hparams records in the next (paced sending).
    apply(store, new BatchBuilder().scalars("a/17.5", "hparam/acc", [0], [0.9]), 2, false, ["a/17.5"]);
    const own = store.run("a/17.5")?.color;
    expect(own).toBe(colorFor("a/17.5", new Set([store.run("a")!.color])));
    apply(store, new BatchBuilder().hparams("a/17.5", START(0.1)), 3, false, []);
    expect(store.run("a/17.5")?.color).toBe(store.run("a")?.color);
    // The freed colour goes to the next run that hashes to it.
    const next = Array.from({ length: 500 }, (_, i) => `r${i}`).find((r) => colorFor(r) === own)!;
    apply(store, new BatchBuilder().scalars(next, "loss", [0], [1]), 4, false, [next]);
    expect(store.run(next)?.color).toBe(own);
    // A second session under "a" unfolds both: each then shows a colour of its own.
    apply(store, new BatchBuilder().hparams("a/18.5", START(0.2)), 5, false, ["a/18.5"]);
    const a = store.run("a")!.color;
    expect(store.run("a/17.5")?.color).not.toBe(a);
    expect(store.run("a/18.5")?.color).not.toBe(a);
  });

  it("custom-scalar charts draw a folded session in its training's colour", () => {
    const store = new Store();
    const b = new BatchBuilder().scalars("a", "loss", [0, 1], [1, 0.5]).hparams("a/17.5", START(0.1)).scalars("a/17.5", "hparam/acc", [0], [0.9]);
    apply(store, b, 1, true, ["a", "a/17.5"]);
    const ui = new UiState();
    const lines = chartLines({ kind: "multiline", title: "acc", tags: ["hparam/acc"] } as Parameters<typeof chartLines>[0], store, ui.visibleRuns(store));
    expect(lines.map((l) => [l.run.name, l.color])).toEqual([["a/17.5", store.run("a")!.color]]);
  });
});

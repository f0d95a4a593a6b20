/// <reference types="vite/client" />
// The hparams records' payload is the protocol's (docs/protocol.md, "HParams records"): every
// entry of the golden batch the Python encoder wrote is a WireHparamsRecord, field for field.
import { describe, expect, it } from "vitest";
import { isWireHparamsRecord, type WireBatch } from "../src/protocol";

const golden = Object.values(import.meta.glob<{ content: unknown }>("./golden/hparams.json", { eager: true, import: "default" }))[0];

describe("hparams wire records", () => {
  const entries = ((golden?.content ?? { items: [] }) as WireBatch).items.flatMap((i) => ("items" in i ? (i.items as unknown[]) : []));

  it("the encoder's records are exactly the protocol's", () => {
    expect(entries.map((e) => (e as { record: string }).record)).toEqual(["experiment", "session_start", "session_end", "unknown"]);
    for (const e of entries) expect(isWireHparamsRecord(e)).toBe(true);
  });

  it("rejects a missing, extra or mistyped field", () => {
    const end = { record: "session_end", data: { status: "STATUS_SUCCESS", end_time_secs: null } };
    expect(isWireHparamsRecord(end)).toBe(true);
    expect(isWireHparamsRecord({ ...end, data: { status: "STATUS_SUCCESS" } })).toBe(false);
    expect(isWireHparamsRecord({ ...end, data: { ...end.data, extra: 1 } })).toBe(false);
    expect(isWireHparamsRecord({ ...end, data: { ...end.data, end_time_secs: "0" } })).toBe(false);
    expect(isWireHparamsRecord({ ...end, record: "session" })).toBe(false);
    const exp = entries[0] as { record: string; data: { hparams: Record<string, unknown>[]; metrics: unknown[] } };
    const broken = { ...exp, data: { ...exp.data, hparams: [{ ...exp.data.hparams[0], domain: [0, 1] }] } };
    expect(isWireHparamsRecord(broken)).toBe(false); // a domain is {values} or {min, max}, not a pair
  });
});

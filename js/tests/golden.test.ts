/// <reference types="vite/client" />
// Golden batches written by the Python encoder (tests/test_live_encode.py) decode to what the
// kernel meant: one protocol contract, checked from both sides.
import { describe, expect, it } from "vitest";
import { decodeBatch, KINDS, type WireBatch } from "../src/protocol";

interface Golden {
  content: WireBatch;
  buffers: string[];
  events: number;
  kinds: string[];
  expect: unknown[];
}

/** A buffer as anywidget hands it over: a DataView at an odd offset of a larger ArrayBuffer. */
function view(base64: string): DataView {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const backing = new Uint8Array(bytes.length + 3);
  backing.set(bytes, 3);
  return new DataView(backing.buffer, 3, bytes.length);
}

/** Decoded values in the golden files' terms: typed arrays as lists, non-finite numbers as strings. */
function plain(v: unknown): unknown {
  if (typeof v === "number") return Number.isFinite(v) ? v : Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, plain);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

const files = import.meta.glob<Golden>("./golden/*.json", { eager: true, import: "default" });

describe("golden batches from the Python encoder", () => {
  it("exist", () => {
    expect(Object.keys(files).length).toBeGreaterThan(0);
  });

  for (const [file, golden] of Object.entries(files)) {
    it(`decodes ${file} to what the kernel encoded`, () => {
      const batch = decodeBatch(golden.content, golden.buffers.map(view));
      expect(batch.seq).toBe(golden.content.seq);
      expect(batch.reset).toBe(golden.content.reset);
      expect(batch.runs).toEqual(golden.content.runs);
      expect(batch.events).toBe(golden.events);
      expect(batch.items.map(plain)).toEqual(golden.expect);
      expect([...KINDS]).toEqual(golden.kinds); // the Python reader's kinds, in its order
    });
  }
});

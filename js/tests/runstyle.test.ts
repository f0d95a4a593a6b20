import { describe, expect, it } from "vitest";
import { PALETTE, RunColors, colorFor, displayName, hashName, logdirName } from "../src/runstyle";
import { MACHADO, ciede2000, contrast, labAs, minPairwise, parseHex } from "../scripts/colorvision";

describe("run palette", () => {
  it("has at least 12 distinct colours", () => {
    expect(PALETTE.length).toBeGreaterThanOrEqual(12);
    expect(new Set(PALETTE.map((c) => c.toLowerCase())).size).toBe(PALETTE.length);
  });

  // Minima reached by js/scripts/palette-search.ts: normal 21.3, protanopia 10.3, deuteranopia
  // 10.8, tritanopia 11.2 (the previous palette: 8.7 normal, between its mauves; 6.8 protanopia).
  const THRESHOLDS = { normal: 21, protanopia: 10, deuteranopia: 10, tritanopia: 11 };
  it("keeps every pair apart (CIEDE2000) for normal vision and simulated protan/deutan/tritanopia", () => {
    for (const [vision, min] of Object.entries(THRESHOLDS)) {
      expect(minPairwise(PALETTE, vision as keyof typeof MACHADO), vision).toBeGreaterThanOrEqual(min);
    }
    // The four mauves of the previous palette would fail it.
    expect(minPairwise(["#994F88", "#AA6F9E", "#BA8DB4", "#CAACCB"], "normal")).toBeLessThan(10);
  });

  it("stays visible on light and dark backgrounds", () => {
    for (const c of PALETTE) {
      expect(contrast(c, "#ffffff"), c).toBeGreaterThanOrEqual(2);
      expect(contrast(c, "#111111"), c).toBeGreaterThanOrEqual(2.3);
    }
  });
});

describe("colour science", () => {
  it("CIEDE2000 matches Sharma, Wu & Dalal's test data", () => {
    // Pairs 1, 7, 17 and 25 of the paper's Table 1.
    expect(ciede2000([50, 2.6772, -79.7751], [50, 0, -82.7485])).toBeCloseTo(2.0425, 4);
    expect(ciede2000([50, 0, 0], [50, -1, 2])).toBeCloseTo(2.3669, 4);
    expect(ciede2000([50, 2.5, 0], [73, 25, -18])).toBeCloseTo(27.1492, 4);
    expect(ciede2000([60.2574, -34.0099, 36.2677], [60.4626, -34.1751, 39.4387])).toBeCloseTo(1.2644, 4);
  });

  it("converts to CIELAB and simulates dichromats", () => {
    const white = labAs("#FFFFFF", "normal");
    expect(white[0]).toBeCloseTo(100, 2);
    expect(Math.hypot(white[1], white[2])).toBeLessThan(0.05);
    // Red and green collapse for a deuteranope, not for normal vision.
    const d = (v: keyof typeof MACHADO) => ciede2000(labAs("#D55E00", v), labAs("#669900", v));
    expect(d("normal")).toBeGreaterThan(3 * d("deuteranopia"));
    expect(contrast("#000000", "#FFFFFF")).toBeCloseTo(21, 6);
    expect(() => parseHex("red")).toThrow(/hex must be a colour like #1a2b3c, got "red"/);
  });
});

describe("colorFor", () => {
  it("derives the colour from the name alone", () => {
    expect(colorFor("lr=0.1,hidden=4")).toBe(PALETTE[hashName("lr=0.1,hidden=4") % PALETTE.length]);
    expect(colorFor("lr=0.1,hidden=4")).toBe(colorFor("lr=0.1,hidden=4"));
    expect(hashName("")).toBe(0x811c9dc5);
    expect(hashName("a")).toBe(0xe40c292c); // FNV-1a reference value
  });

  it("skips colours already taken", () => {
    const first = colorFor("run");
    const next = colorFor("run", new Set([first]));
    expect(next).not.toBe(first);
    expect(next).toBe(PALETTE[(PALETTE.indexOf(first) + 1) % PALETTE.length]);
    expect(colorFor("run", new Set(PALETTE))).toBe(first);
  });

  it("rejects a non-string name", () => {
    expect(() => colorFor(3 as unknown as string)).toThrow(/name must be a string, got number/);
  });
});

describe("RunColors", () => {
  it("a run keeps its colour while others appear", () => {
    const colors = new RunColors();
    const mine = colors.of("lr=0.1,hidden=4");
    const seen = new Set([mine]);
    for (let i = 0; i < 40; i++) {
      const c = colors.of(`lr=${i / 100},hidden=${i}`);
      expect(colors.of("lr=0.1,hidden=4")).toBe(mine);
      if (i < PALETTE.length - 1) {
        expect(seen.has(c)).toBe(false); // distinct while the palette lasts
        seen.add(c);
      }
    }
    // Another dashboard seeing the run first gives it the same colour.
    expect(new RunColors().of("lr=0.1,hidden=4")).toBe(mine);
  });

  it("does not depend on the order others were seen for uncontested names", () => {
    const a = new RunColors();
    const b = new RunColors();
    a.of("x");
    b.of("x");
    expect(a.of("x")).toBe(b.of("x"));
  });
});

describe("displayName", () => {
  it("names the root run after the log directory", () => {
    expect(displayName(".", "/home/me/runs/exp1")).toBe("exp1");
    expect(displayName(".", "runs/exp1/")).toBe("exp1");
    expect(displayName(".", "C:\\logs\\mnist")).toBe("mnist");
    expect(displayName(".", "gs://bucket/logs")).toBe("logs");
  });

  it("falls back to (root)", () => {
    expect(displayName(".")).toBe("(root)");
    expect(displayName(".", "/")).toBe("(root)");
    expect(displayName(".", ".")).toBe("(root)");
    expect(logdirName("./")).toBe("");
  });

  it("leaves other runs alone", () => {
    expect(displayName("a/b", "/x")).toBe("a/b");
    expect(() => displayName(undefined as unknown as string)).toThrow(TypeError);
  });
});

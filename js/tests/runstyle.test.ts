import { describe, expect, it } from "vitest";
import { PALETTE, RunColors, colorFor, displayName, hashName, logdirName } from "../src/runstyle";

// ---- colour vision: sRGB → linear → Machado et al. (2009) severity-1 simulation → CIELAB ----
const MACHADO: Record<string, number[][]> = {
  normal: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
  tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.3039]],
};
const toLinear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
function rgb(hex: string): number[] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
}
function lab(linear: number[]): number[] {
  const l = linear.map((v) => Math.min(1, Math.max(0, v)));
  const X = (0.4124 * l[0] + 0.3576 * l[1] + 0.1805 * l[2]) / 0.95047;
  const Y = 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
  const Z = (0.0193 * l[0] + 0.1192 * l[1] + 0.9505 * l[2]) / 1.08883;
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  return [116 * f(Y) - 16, 500 * (f(X) - f(Y)), 200 * (f(Y) - f(Z))];
}
function simulate(hex: string, m: number[][]): number[] {
  const l = rgb(hex).map(toLinear);
  return lab(m.map((row) => row[0] * l[0] + row[1] * l[1] + row[2] * l[2]));
}
function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const l = rgb(hex).map(toLinear);
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

describe("run palette", () => {
  it("has at least 12 distinct colours", () => {
    expect(PALETTE.length).toBeGreaterThanOrEqual(12);
    expect(new Set(PALETTE.map((c) => c.toLowerCase())).size).toBe(PALETTE.length);
  });

  it("keeps every pair apart (ΔE >= 9) for normal vision and simulated protan/deutan/tritanopia", () => {
    for (const [kind, m] of Object.entries(MACHADO)) {
      const labs = PALETTE.map((c) => simulate(c, m));
      let min = Infinity;
      for (let i = 0; i < labs.length; i++) {
        for (let j = i + 1; j < labs.length; j++) min = Math.min(min, Math.hypot(...labs[i].map((v, k) => v - labs[j][k])));
      }
      expect(min, kind).toBeGreaterThanOrEqual(9);
    }
  });

  it("stays visible on light and dark backgrounds", () => {
    for (const c of PALETTE) {
      expect(contrast(c, "#ffffff"), c).toBeGreaterThanOrEqual(2);
      expect(contrast(c, "#111111"), c).toBeGreaterThanOrEqual(2.3);
    }
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

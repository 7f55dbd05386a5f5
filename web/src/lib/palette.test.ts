import { describe, expect, it } from "vitest";
import { nextClass, PALETTE, type LabelClass } from "./labels";

// CIELAB (D65) of an sRGB colour, for a colour distance a person would agree with (CIE76 delta E).
function linear(v: number): number {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function rgb(color: string): [number, number, number] {
  return [1, 3, 5].map((i) => linear(parseInt(color.slice(i, i + 2), 16))) as [number, number, number];
}

function lab(color: string): [number, number, number] {
  const [r, g, b] = rgb(color);
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
  const y = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
  const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}

function deltaE(a: string, b: string): number {
  const [p, q] = [lab(a), lab(b)];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

function contrast(a: string, b: string): number {
  const lum = [a, b].map((c) => {
    const [r, g, bl] = rgb(c);
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  });
  return (Math.max(...lum) + 0.05) / (Math.min(...lum) + 0.05);
}

describe("class colours", () => {
  it("gives 80 classes added one by one 80 colours far apart", () => {
    const classes: LabelClass[] = [];
    for (let i = 0; i < 80; i++) classes.push({ ...nextClass(classes), name: `class${i}` });
    const colors = classes.map((c) => c.color);
    let closest = Infinity;
    for (let i = 0; i < colors.length; i++) {
      for (let j = i + 1; j < colors.length; j++) closest = Math.min(closest, deltaE(colors[i]!, colors[j]!));
    }
    // delta E about 2.3 is barely noticeable; 10 is clearly another colour (the old 16 colours repeated: 0).
    expect(closest).toBeGreaterThanOrEqual(10);
  });

  it("keeps every colour visible on the editor's dark stage, and none pale", () => {
    for (const c of PALETTE) {
      expect(contrast(c, "#15171c"), c).toBeGreaterThanOrEqual(3);
      const [l, a, b] = lab(c);
      expect(l < 60 || Math.hypot(a, b) >= 30, c).toBe(true);
    }
  });
});

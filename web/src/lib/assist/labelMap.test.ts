import { describe, expect, it } from "vitest";
import { parseLabelMap } from "./labelMap";

describe("label mapping", () => {
  it("reads model label = project label lines, with or without spaces", () => {
    expect(parseLabelMap("PER = person\nLOC=place\n  0 =  cat  ")).toEqual({
      ok: true,
      labels: { PER: "person", LOC: "place", "0": "cat" },
      count: 3,
    });
  });

  it("skips blank lines and # comments; an empty text maps nothing", () => {
    expect(parseLabelMap("\n# the backend's names\n\ntravel = trips\n   \n  # done\n")).toEqual({
      ok: true,
      labels: { travel: "trips" },
      count: 1,
    });
    expect(parseLabelMap("")).toEqual({ ok: true, labels: {}, count: 0 });
    expect(parseLabelMap("\r\n# only a comment\r\n")).toEqual({ ok: true, labels: {}, count: 0 });
  });

  it("keeps everything right of the first = as the project label", () => {
    expect(parseLabelMap("a = b = c")).toEqual({ ok: true, labels: { a: "b = c" }, count: 1 });
  });

  it("lets two model labels map to the same project label", () => {
    expect(parseLabelMap("kitten = cat\ntomcat = cat")).toEqual({
      ok: true,
      labels: { kitten: "cat", tomcat: "cat" },
      count: 2,
    });
  });

  it("refuses a model label mapped twice, naming both lines", () => {
    const r = parseLabelMap("cat = Katze\n\ncat = chat");
    expect(r).toEqual({ ok: false, line: 3, error: 'Line 3: "cat" is already mapped on line 1' });
  });

  it("names the line without =", () => {
    const r = parseLabelMap("PER = person\n\n# places\nLOC place");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.line).toBe(4);
      expect(r.error).toMatch(/^Line 4: "LOC place" has no "="/);
    }
  });

  it("names a line with an empty side", () => {
    expect(parseLabelMap("= person")).toMatchObject({ ok: false, line: 1, error: expect.stringMatching(/^Line 1: the model label/) });
    expect(parseLabelMap("a = b\nPER =")).toMatchObject({ ok: false, line: 2, error: expect.stringMatching(/^Line 2: "PER" maps to nothing/) });
  });
});

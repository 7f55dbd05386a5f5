import { describe, expect, it } from "vitest";
import type { Job } from "./api/client";
import { baseName, jobWarnings, jobWhat, listProblems, problemLine, skippedRecords } from "./jobDetails";

describe("problemLine", () => {
  it("gives the message, then the file's base name, the line and the field", () => {
    const e = { message: "unknown category_id 91", file: "/srv/lh/uploads/bdd93/multi_flat/annotations.json", field: "annotations[4].category_id" };
    expect(problemLine(e)).toBe("unknown category_id 91 (annotations.json, field annotations[4].category_id)");
    expect(problemLine({ message: "expected 5 values", file: "labels/a.txt", line: 3 })).toBe("expected 5 values (a.txt, line 3)");
    expect(problemLine({ message: "bare" })).toBe("bare");
  });

  it("names base names of Windows-style and trailing-slash paths", () => {
    expect(baseName("C:\\data\\a.json")).toBe("a.json");
    expect(baseName("/data/set/")).toBe("set");
    expect(baseName("a.json")).toBe("a.json");
  });
});

describe("listProblems", () => {
  const many = Array.from({ length: 100 }, (_, i) => ({ message: `bad ${i}`, file: "/x/a.json", field: `f${i}` }));

  it("lists the first ones and counts the rest", () => {
    const l = listProblems(many, undefined, 20);
    expect(l.lines).toHaveLength(20);
    expect(l.lines[0]).toBe("bad 0 (a.json, field f0)");
    expect(l.more).toBe(80);
  });

  it("counts what the server left out of its list too", () => {
    expect(listProblems(many, 250, 20).more).toBe(230);
    expect(listProblems(many.slice(0, 3)).more).toBe(0);
  });

  it("reads nothing from what is not a list", () => {
    expect(listProblems(undefined)).toEqual({ lines: [], more: 0 });
    expect(listProblems([null, 3, { message: "ok" }]).lines).toEqual(["ok"]);
  });
});

function job(over: Partial<Job>): Job {
  return { id: 1, kind: "import", status: "succeeded", params: {}, result: {}, ...over } as Job;
}

describe("skippedRecords", () => {
  it("lists an import's skipped records by file base name, counting those the result did not list", () => {
    const skipped = [{ message: "unknown image_id 999999", file: "/srv/lh/uploads/bdd93/multi_flat/annotations.json", field: "annotations[2].image_id" }];
    const s = skippedRecords(job({ result: { skipped_count: 3, skipped } }));
    expect(s.count).toBe(3);
    expect(s.lines).toEqual(["unknown image_id 999999 (annotations.json, field annotations[2].image_id)"]);
    expect(s.more).toBe(2);
  });

  it("is empty for an import that skipped nothing, or another kind of job", () => {
    expect(skippedRecords(job({ result: { skipped_count: 0, skipped: [] } })).count).toBe(0);
    expect(skippedRecords(job({ kind: "export", result: { skipped: [{ message: "x" }] } })).count).toBe(0);
  });
});

describe("jobWhat", () => {
  it("says which format an automatic import detected", () => {
    const p = { source: "/srv/lh/uploads/bdd93aa0c1d2e3f4/multi_flat", format: "auto" };
    expect(jobWhat(job({ params: p, result: { format: "coco" } }))).toBe("auto-detected: coco from multi_flat");
    expect(jobWhat(job({ status: "failed", params: p, result: null }))).toBe("auto-detected from multi_flat");
    expect(jobWhat(job({ params: { source: "/data/coco128/labels", format: "yolo" }, result: { format: "yolo" } }))).toBe(
      "yolo from coco128/labels",
    );
  });

  it("names an export's format and file", () => {
    expect(jobWhat(job({ kind: "export", params: { format: "coco", filename: "coco-export.json" } }))).toBe("coco → coco-export.json");
    expect(jobWhat(job({ kind: "embed", params: {} }))).toBe("");
  });
});

describe("jobWarnings", () => {
  it("gives an import's warnings and nothing of other jobs or of what is not text", () => {
    const warned = { kind: "import", result: { warnings: ["no annotations were read", 3, ""] } } as unknown as Job;
    expect(jobWarnings(warned)).toEqual(["no annotations were read"]);
    expect(jobWarnings({ kind: "export", result: { warnings: ["x"] } } as unknown as Job)).toEqual([]);
    expect(jobWarnings({ kind: "import", result: null } as unknown as Job)).toEqual([]);
  });
});

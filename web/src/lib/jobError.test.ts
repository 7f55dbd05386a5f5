import { describe, expect, it } from "vitest";
import { jobErrorWhere } from "./jobError";

describe("jobErrorWhere", () => {
  it("names the file, its line and the field a format error points at", () => {
    const err = { title: "Unreadable file", detail: "no column 'utterance'; the header has ['id', 'body']", file: "/data/calls.csv", line: 1, field: "utterance" };
    expect(jobErrorWhere(err)).toEqual(["File: /data/calls.csv, line 1", "Field: utterance"]);
    expect(jobErrorWhere({ detail: "x", file: "/data/a.jsonl" })).toEqual(["File: /data/a.jsonl"]);
  });

  it("says nothing for an error without a place, or no error", () => {
    expect(jobErrorWhere({ title: "RuntimeError", detail: "boom" })).toEqual([]);
    expect(jobErrorWhere(null)).toEqual([]);
    expect(jobErrorWhere(undefined)).toEqual([]);
  });
});

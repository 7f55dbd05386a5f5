import { describe, expect, it } from "vitest";
import type { Format } from "./api/client";
import {
  exportFilename,
  exportFilesFor,
  exportOptions,
  exportOptionsFor,
  exportTasksFor,
  formatsFor,
  hasMediaFiles,
  importOptions,
  importOptionsFor,
  uploadAccept,
  uploadHint,
  VIDEO_FILES,
} from "./formats";

const fmt = (name: string, kinds: Format["item_kinds"], exportKinds: Format["export_kinds"], canImport = true): Format => ({
  name,
  title: name.toUpperCase(),
  item_kinds: kinds,
  export_kinds: exportKinds,
  can_import: canImport,
  can_export: exportKinds.length > 0,
});

const all = [
  fmt("coco", ["image"], ["image", "video"]),
  fmt("mot", ["video"], ["video"]),
  fmt("coco_captions", ["image"], [], true),
  fmt("text", ["text"], ["text"]),
];

describe("formatsFor", () => {
  it("offers a video project COCO for export but not for import", () => {
    expect(formatsFor(all, "video", "export").map((f) => f.name)).toEqual(["coco", "mot"]);
    expect(formatsFor(all, "video", "import").map((f) => f.name)).toEqual(["mot"]);
  });

  it("leaves import-only formats out of exports", () => {
    expect(formatsFor(all, "image", "export").map((f) => f.name)).toEqual(["coco"]);
    expect(formatsFor(all, "image", "import").map((f) => f.name)).toEqual(["coco", "coco_captions"]);
  });
});

describe("import options", () => {
  it("asks for the text importer's columns, and nothing for other formats or for auto", () => {
    expect(importOptionsFor("text").map((o) => o.key)).toEqual(["text_column", "label_column"]);
    expect(importOptionsFor("coco")).toEqual([]);
    expect(importOptionsFor("auto")).toEqual([]);
  });

  it("sends the filled-in columns, trimmed, and leaves the empty ones to the importer's defaults", () => {
    expect(importOptions("text", { text_column: " utterance ", label_column: "" })).toEqual({ text_column: "utterance" });
    expect(importOptions("text", { text_column: "body", label_column: "gold intent" })).toEqual({
      text_column: "body",
      label_column: "gold intent",
    });
    expect(importOptions("text", {})).toEqual({});
  });

  it("sends no column to a format that takes none (a value typed before switching format stays behind)", () => {
    expect(importOptions("coco", { text_column: "utterance" })).toEqual({});
    expect(importOptions("auto", { text_column: "utterance" })).toEqual({});
  });
});

describe('the import dialog file picker', () => {
  it('offers video files in a video project, and says so', () => {
    const accept = uploadAccept('video').split(',');
    for (const ext of ['.mp4', '.mov', '.avi', '.mkv', '.webm', '.m4v', '.zip', '.json']) expect(accept).toContain(ext);
    expect(uploadHint('video')).toContain('a video file (.mp4, .mov, .avi, .mkv, .webm, .m4v)');
  });

  it('offers dataset files only in other projects', () => {
    expect(uploadAccept('image')).toBe('.json,.jsonl,.csv,.zip,.txt,.xml');
    expect(uploadAccept('text').split(',').some((e) => VIDEO_FILES.includes(e))).toBe(false);
    expect(uploadHint('image')).toBe('A .json, .jsonl or .csv file, or a .zip of a dataset folder.');
  });
});

describe("the export dialog's choices", () => {
  it("offers JSONL or CSV for the text format, and sends a .csv filename for CSV", () => {
    expect(exportFilesFor("text").map((f) => f.value)).toEqual(["jsonl", "csv"]);
    expect(exportFilename("text", "csv")).toBe("text-export.csv");
    expect(exportFilename("text", "jsonl")).toBeUndefined();
    expect(exportFilesFor("coco")).toEqual([]);
    expect(exportFilename("coco", "csv")).toBeUndefined();
  });
  it("offers YOLO's tasks, auto first, and sends the one chosen as the task option", () => {
    expect(exportTasksFor("yolo").map((t) => t.value)).toEqual(["", "detect", "segment", "pose"]);
    expect(exportOptions("yolo", "pose")).toEqual({ task: "pose" });
    expect(exportOptions("yolo", "")).toEqual({});
    // A task left chosen from YOLO is not sent with another format.
    expect(exportTasksFor("coco")).toEqual([]);
    expect(exportOptions("coco", "detect")).toEqual({});
  });
  it("asks DICOM-SEG for the original series folder and sends it only with that format", () => {
    expect(exportOptionsFor("dicom").map((o) => o.key)).toEqual(["source_dir"]);
    expect(exportOptions("dicom", "", { source_dir: "  /data/ct  " })).toEqual({ source_dir: "/data/ct" });
    expect(exportOptions("dicom", "", { source_dir: " " })).toEqual({});
    expect(exportOptions("coco", "", { source_dir: "/data/ct" })).toEqual({});
    expect(exportOptionsFor("coco")).toEqual([]);
  });
  it("copies media files for every kind but text", () => {
    expect([hasMediaFiles("image"), hasMediaFiles("video"), hasMediaFiles("volume"), hasMediaFiles("text")]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });
});

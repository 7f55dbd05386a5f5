// The formats the server knows (GET /formats), fetched once per page load.

import { api, unwrap, type Format, type ItemKind } from "./api/client";

let cached: Promise<Format[]> | null = null;

export function fetchFormats(): Promise<Format[]> {
  cached ??= unwrap(api.GET("/api/v1/formats")).catch((err: unknown) => {
    cached = null;
    throw err;
  });
  return cached;
}

/** The formats that can import (or export) items of this kind, by title. */
export function formatsFor(all: Format[], kind: ItemKind, direction: "import" | "export"): Format[] {
  return all
    .filter((f) => (direction === "import" ? f.can_import && f.item_kinds.includes(kind) : f.export_kinds.includes(kind)))
    .sort((a, b) => a.title.localeCompare(b.title));
}

/** A format option the import dialog asks for; it reaches the importer as `options[key]` (its `extra`). */
export interface ImportOption {
  key: string;
  label: string;
  /** What the importer uses when the box is left empty. */
  placeholder: string;
  hint: string;
}

/** The options each format's importer takes (the server's format list does not describe them). */
const IMPORT_OPTIONS: Record<string, ImportOption[]> = {
  text: [
    {
      key: "text_column",
      label: "Text column",
      placeholder: "text",
      hint: "The CSV column holding the texts. Empty: text, sentence or utterance.",
    },
    {
      key: "label_column",
      label: "Label column",
      placeholder: "label",
      hint: "Optional. Empty: label, category, intent or class, when there is one.",
    },
  ],
};

/** The options the import dialog shows for a format ("auto" takes none: a format is chosen to set them). */
export function importOptionsFor(format: string): ImportOption[] {
  return IMPORT_OPTIONS[format] ?? [];
}

/** What the import request sends as `options`: the format's own options that were filled in, trimmed. */
export function importOptions(format: string, values: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of importOptionsFor(format)) {
    const v = values[o.key]?.trim();
    if (v) out[o.key] = v;
  }
  return out;
}

// The import dialog's "Upload a file" picker, by the project's item kind. A video project also takes a bare video
// file: the upload route stores a file that is not a .zip as it is, and the `video` importer reads one video file
// as one item (`formats/video.py`, extensions from `media/video.py` `VIDEO_EXTENSIONS`).

/** Dataset files every project can upload (a .zip holds a dataset folder). */
const DATASET_FILES = ['.json', '.jsonl', '.csv', '.zip', '.txt', '.xml'];

/** The video files the server's `video` importer reads (`labelhub.media.video.VIDEO_EXTENSIONS`). */
export const VIDEO_FILES = ['.mp4', '.mov', '.avi', '.mkv', '.webm', '.m4v'];

/** The picker's `accept` attribute for a project of `kind`. */
export function uploadAccept(kind: string): string {
  return (kind === 'video' ? [...DATASET_FILES, ...VIDEO_FILES] : DATASET_FILES).join(',');
}

/** The hint next to the picker: what can be uploaded into a project of `kind`. */
export function uploadHint(kind: string): string {
  return kind === 'video'
    ? `A .json, .jsonl or .csv file, a .zip of a dataset folder, or a video file (${VIDEO_FILES.join(', ')}).`
    : 'A .json, .jsonl or .csv file, or a .zip of a dataset folder.';
}

// The export dialog. The server picks a format's file type from the export's `filename` (the text exporter writes
// CSV to a name ending in `.csv`, JSONL otherwise), so a format that writes several file types offers them here.

/** One file type a format's export can write; `filename` is what the request sends (undefined: the default). */
export interface ExportFile {
  value: string;
  label: string;
  filename?: string;
}

const EXPORT_FILES: Record<string, ExportFile[]> = {
  text: [
    { value: "jsonl", label: "JSONL (labels and spans)" },
    { value: "csv", label: "CSV (one row per item, its labels joined by |; no spans)", filename: "text-export.csv" },
  ],
};

/** The file types the export dialog offers for `format` (empty: the format writes one kind of file). */
export function exportFilesFor(format: string): ExportFile[] {
  return EXPORT_FILES[format] ?? [];
}

/** The export request's `filename` for `format` written as `file` (a value of `exportFilesFor`); undefined: the
 * server's default name. The server names the download after the project (`<project>-text-export.csv`). */
export function exportFilename(format: string, file: string): string | undefined {
  return exportFilesFor(format).find((f) => f.value === file)?.filename;
}

/** One choice of a format's export option (YOLO's `task`); `value` "" sends no option (the server's default). */
export interface ExportChoice {
  value: string;
  label: string;
}

// YOLO writes one kind of line per dataset: the server's `task` option (docs/formats.md, "YOLO ... pose").
const EXPORT_TASKS: Record<string, ExportChoice[]> = {
  yolo: [
    { value: "", label: "Auto (pose when the classes declare keypoints, else boxes or polygons per image)" },
    { value: "detect", label: "Detection (boxes)" },
    { value: "segment", label: "Segmentation (polygons)" },
    { value: "pose", label: "Pose (boxes with their keypoints)" },
  ],
};

/** The tasks the export dialog offers for `format` (empty: the format has no such option). */
export function exportTasksFor(format: string): ExportChoice[] {
  return EXPORT_TASKS[format] ?? [];
}

/** The text options each format's exporter takes beside the task (same shape as the import dialog's). */
const EXPORT_OPTIONS: Record<string, ImportOption[]> = {
  dicom: [
    {
      key: "source_dir",
      label: "Original DICOM series folder",
      placeholder: "/data/ct_dicom",
      hint: "A folder on the server (under an import root) holding the series the volumes came from: a DICOM-SEG points at its images.",
    },
  ],
};

/** The text options the export dialog shows for a format. */
export function exportOptionsFor(format: string): ImportOption[] {
  return EXPORT_OPTIONS[format] ?? [];
}

/** The export request's `options` for `format`: the task chosen (a value of `exportTasksFor`) and the format's own
 * text options that were filled in, trimmed; an option of another format is never sent. */
export function exportOptions(
  format: string,
  task: string,
  values: Record<string, string | undefined> = {},
): Record<string, string> {
  const out: Record<string, string> = task && exportTasksFor(format).some((t) => t.value === task) ? { task } : {};
  for (const o of exportOptionsFor(format)) {
    const v = values[o.key]?.trim();
    if (v) out[o.key] = v;
  }
  return out;
}

/** Whether an export of a project of `kind` can copy media files: a text project has none. */
export function hasMediaFiles(kind: ItemKind): boolean {
  return kind !== "text";
}

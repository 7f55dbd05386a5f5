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

import { describe, expect, it } from "vitest";
import type { Format } from "./api/client";
import { formatsFor } from "./formats";

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

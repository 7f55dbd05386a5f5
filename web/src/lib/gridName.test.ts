import { describe, expect, it } from "vitest";
import { nameParts } from "./gridName";

describe("nameParts", () => {
  it("keeps the end of a long name whole, where names differ", () => {
    expect(nameParts("imagesTr/hippocampus_017.nii.gz")).toEqual({ head: "imagesTr/hippoc", tail: "ampus_017.nii.gz" });
  });

  it("keeps only the file name when it is short", () => {
    expect(nameParts("patients/0001/ct/scan.nii")).toEqual({ head: "patients/0001/ct/", tail: "scan.nii" });
  });

  it("leaves a short name whole", () => {
    expect(nameParts("cat.jpg")).toEqual({ head: "", tail: "cat.jpg" });
  });

  it("does not split a character made of two UTF-16 units", () => {
    const parts = nameParts(`${"a".repeat(20)}😀b.png`, 6);
    expect(parts.tail).toBe("😀b.png");
    expect(parts.head + parts.tail).toBe(`${"a".repeat(20)}😀b.png`);
  });
});

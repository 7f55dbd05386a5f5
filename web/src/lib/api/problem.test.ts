import { describe, expect, it } from "vitest";
import { ApiError, describe as describeError, toProblem } from "./problem";

describe("describe", () => {
  it("keeps the server's title and detail and says where the problem is", () => {
    const err = new ApiError(422, {
      title: "Invalid input",
      detail: "annotations[0]: geometry.bbox extends past the image width 640",
      field: "annotations[0].geometry.bbox",
    });
    expect(describeError(err)).toEqual({
      title: "Invalid input",
      detail: "annotations[0]: geometry.bbox extends past the image width 640",
      where: ["Field: annotations[0].geometry.bbox"],
    });
  });

  it("lists a refused import's problems with file and line, five at most", () => {
    const problems = Array.from({ length: 7 }, (_, i) => ({ message: `bad box ${i}`, file: "a.json", line: i + 1 }));
    const d = describeError(new ApiError(422, { title: "Import refused", detail: "7 problems", problems }));
    expect(d.where[0]).toBe("bad box 0 (a.json, line 1)");
    expect(d.where).toHaveLength(6);
    expect(d.where[5]).toBe("… and 2 more");
  });

  it("explains an unreachable server", () => {
    const d = describeError(new ApiError(0, { detail: "" }));
    expect(d.title).toBe("Cannot reach the server");
    expect(d.detail).toContain("labelhub serve");
  });

  it("names an error thrown by the page itself", () => {
    expect(describeError(new TypeError("x is undefined")).title).toBe("Something went wrong in the page");
  });
});

describe("toProblem", () => {
  it("reads problem+json, plain text and FastAPI's own detail lists", () => {
    expect(toProblem(404, { title: "Not found", detail: "item 9" }).detail).toBe("item 9");
    expect(toProblem(502, "Bad gateway\n").detail).toBe("Bad gateway");
    expect(toProblem(422, { detail: [{ msg: "x" }] }).detail).toBe('[{"msg":"x"}]');
    expect(toProblem(500, undefined)).toEqual({ status: 500 });
  });
});

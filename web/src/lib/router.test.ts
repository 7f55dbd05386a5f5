import { describe, expect, it } from "vitest";
import { matchRoute, parseHash } from "./router.svelte";

describe("matchRoute", () => {
  it("binds named segments", () => {
    expect(matchRoute("/projects/:pid/items/:iid", "/projects/3/items/70")?.params).toEqual({ pid: "3", iid: "70" });
  });
  it("refuses other lengths and other literal segments", () => {
    expect(matchRoute("/projects/:pid", "/projects/3/settings")).toBeNull();
    expect(matchRoute("/projects/:pid/settings", "/projects/3/members")).toBeNull();
  });
  it("decodes segments", () => {
    expect(matchRoute("/x/:name", "/x/a%20b")?.params.name).toBe("a b");
  });
});

describe("parseHash", () => {
  it("splits the path from the query", () => {
    const { path, query } = parseHash("#/jobs?project=4");
    expect(path).toBe("/jobs");
    expect(query.get("project")).toBe("4");
  });
  it("treats an empty hash as the root", () => {
    expect(parseHash("").path).toBe("/");
    expect(parseHash("#projects").path).toBe("/projects");
  });
});

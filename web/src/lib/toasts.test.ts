import { afterEach, describe, expect, it } from "vitest";
import { location } from "./router.svelte";
import { leaveOtherRoutes, notify, toasts } from "./toasts.svelte";

afterEach(() => {
  toasts.length = 0;
  location.path = "/";
});

describe("leaveOtherRoutes", () => {
  it("drops the errors raised on another page and keeps this page's", () => {
    location.path = "/projects/999";
    notify("error", "Could not load the counts");
    location.path = "/projects/999/map";
    notify("error", "Compute map failed");
    leaveOtherRoutes("/projects/999/map");
    expect(toasts.map((t) => t.title)).toEqual(["Compute map failed"]);
    location.path = "/projects/999/models";
    leaveOtherRoutes("/projects/999/models");
    expect(toasts).toEqual([]);
  });

  it("keeps confirmations, which a page often shows as it moves on", () => {
    location.path = "/projects/new";
    notify("success", "Project created");
    location.path = "/projects/4";
    leaveOtherRoutes("/projects/4");
    expect(toasts.map((t) => t.title)).toEqual(["Project created"]);
  });
});

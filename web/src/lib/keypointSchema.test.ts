import { describe, expect, it } from "vitest";
import { ApiError } from "./api/problem";
import { addEdge, keypointProblem, labelBody, movePoint, readDecl, removePoint, serverProblem } from "./keypointSchema";

const decl = () => ({ keypoints: ["nose", "left_eye", "right_eye"], skeleton: [[0, 1], [0, 2]] as [number, number][] });

describe("keypoint declarations", () => {
  it("removing a point drops its edges and renumbers the later ones", () => {
    const d = decl();
    removePoint(d, 1);
    expect(d).toEqual({ keypoints: ["nose", "right_eye"], skeleton: [[0, 1]] });
  });
  it("moving a point keeps each edge on the same names", () => {
    const d = decl();
    movePoint(d, 0, 1);
    expect(d.keypoints).toEqual(["left_eye", "nose", "right_eye"]);
    expect(d.skeleton.map(([a, b]) => [d.keypoints[a], d.keypoints[b]])).toEqual([["nose", "left_eye"], ["nose", "right_eye"]]);
  });
  it("adds the first pair not joined yet", () => {
    const d = decl();
    addEdge(d);
    expect(d.skeleton.at(-1)).toEqual([1, 2]);
    addEdge(d);
    expect(d.skeleton.length).toBe(3);
  });
  it("says what is wrong before a save", () => {
    expect(keypointProblem(decl())).toBe("");
    expect(keypointProblem({ keypoints: ["a", "a"] })).toContain("Two keypoints");
    expect(keypointProblem({ keypoints: ["a", " b"] })).toContain("space");
    expect(keypointProblem({ keypoints: ["a", "b"], skeleton: [[0, 1], [1, 0]] })).toContain("twice");
    expect(keypointProblem({ keypoints: ["a", "b"], skeleton: [[1, 1]] })).toContain("itself");
  });
  it("reads stored classes and writes the API's body", () => {
    expect(readDecl({})).toEqual({ keypoints: [], skeleton: [] });
    expect(labelBody({ name: " p ", color: "#000000", hotkey: "", ...decl() })).toEqual({
      name: "p", color: "#000000", hotkey: null, keypoints: ["nose", "left_eye", "right_eye"], skeleton: [[0, 1], [0, 2]],
    });
  });
  it("shows a 422 on the class's keypoints at that class only", () => {
    const err = new ApiError(422, { status: 422, detail: "edge [1, 1] joins 'a' to itself", field: "labels[2].skeleton[0]" });
    expect(serverProblem(err, 2)).toContain("itself");
    expect(serverProblem(err, 1)).toBe("");
  });
});

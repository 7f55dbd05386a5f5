// A class's keypoint skeleton as the label editors edit it: point names in order and edges as 0-based index
// pairs. The server checks the same rules (src/labelhub/domain/keypoints.py); these say so before a save.

import { ApiError } from "./api/problem";

export type Edge = [number, number];

export interface KeypointDecl {
  keypoints?: string[];
  skeleton?: Edge[];
}

export const MAX_KEYPOINTS = 100;

/** A class as the API takes it (POST /projects, PATCH /projects/{id}). */
export function labelBody(c: { name: string; color: string; hotkey: string | null } & KeypointDecl) {
  return {
    name: c.name.trim(),
    color: c.color,
    hotkey: c.hotkey || null,
    keypoints: c.keypoints ?? [],
    skeleton: (c.skeleton ?? []).map(([a, b]) => [a, b] as Edge),
  };
}

/** Reads a stored class's keypoints and skeleton defensively (older classes have neither). */
export function readDecl(raw: { keypoints?: unknown; skeleton?: unknown }): Required<KeypointDecl> {
  const keypoints = Array.isArray(raw.keypoints) ? raw.keypoints.map((k) => String(k)) : [];
  const skeleton = Array.isArray(raw.skeleton)
    ? raw.skeleton.filter((e): e is Edge => Array.isArray(e) && e.length === 2 && e.every(Number.isInteger))
    : [];
  return { keypoints, skeleton: skeleton.map(([a, b]) => [a, b]) };
}

/** What is wrong with a declaration a person is editing ("" when nothing is). */
export function keypointProblem(d: KeypointDecl): string {
  const names = d.keypoints ?? [];
  if (names.length > MAX_KEYPOINTS) return `A class has at most ${MAX_KEYPOINTS} keypoints.`;
  const seen = new Set<string>();
  for (const [j, n] of names.entries()) {
    if (!n.trim()) return `Keypoint ${j + 1} needs a name.`;
    if (n !== n.trim()) return `Keypoint “${n.trim()}” starts or ends with a space.`;
    if (seen.has(n)) return `Two keypoints are called “${n}”.`;
    seen.add(n);
  }
  const edges = new Set<string>();
  for (const [k, [a, b]] of (d.skeleton ?? []).entries()) {
    if (a === b) return `Edge ${k + 1} joins a point to itself.`;
    const key = a < b ? `${a}-${b}` : `${b}-${a}`;
    if (edges.has(key)) return `Edge ${k + 1} is listed twice.`;
    edges.add(key);
  }
  return "";
}

/** The server's refusal of class ``i``'s keypoints or skeleton (422 on ``labels[i].keypoints...``), or "". */
export function serverProblem(error: unknown, i: number): string {
  if (!(error instanceof ApiError) || error.status !== 422) return "";
  const field = error.problem.field ?? "";
  return field.startsWith(`labels[${i}].keypoints`) || field.startsWith(`labels[${i}].skeleton`) ? error.message : "";
}

/** Adds a point named ``name`` at the end. */
export function addPoint(d: Required<KeypointDecl>, name: string): void {
  d.keypoints.push(name);
}

/** Removes point ``i`` with its edges; the edges of later points follow their new indices. */
export function removePoint(d: Required<KeypointDecl>, i: number): void {
  d.keypoints.splice(i, 1);
  const kept = d.skeleton.filter(([a, b]) => a !== i && b !== i).map(([a, b]) => [a > i ? a - 1 : a, b > i ? b - 1 : b] as Edge);
  d.skeleton.splice(0, d.skeleton.length, ...kept);
}

/** Moves point ``i`` by ``by`` places; the edges keep joining the same names. */
export function movePoint(d: Required<KeypointDecl>, i: number, by: number): void {
  const j = i + by;
  if (j < 0 || j >= d.keypoints.length) return;
  const [name] = d.keypoints.splice(i, 1);
  if (name === undefined) return;
  d.keypoints.splice(j, 0, name);
  const to = (x: number): number => (x === i ? j : x === j ? i : x);
  const moved = d.skeleton.map(([a, b]) => [to(a), to(b)] as Edge);
  d.skeleton.splice(0, d.skeleton.length, ...moved);
}

/** Adds an edge between the first two points no edge joins yet (none when every pair is joined). */
export function addEdge(d: Required<KeypointDecl>): void {
  const n = d.keypoints.length;
  const has = new Set(d.skeleton.map(([a, b]) => (a < b ? `${a}-${b}` : `${b}-${a}`)));
  for (let a = 0; a < n; a++)
    for (let b = a + 1; b < n; b++)
      if (!has.has(`${a}-${b}`)) {
        d.skeleton.push([a, b]);
        return;
      }
}

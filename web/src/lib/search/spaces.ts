// Embedding spaces as the search pages choose among them: which ones read text (a text query needs one), which
// one a page uses when the user has not picked one, and how a space is described in the space selector.

import type { EmbeddingSpace } from "./api";

/** What the server lists, plus `searches_text` (sent by newer servers; derived from the name otherwise); `unlisted`
 * marks a space the page offers that the server did not list (no vectors yet, maybe no trained encoder either). */
export type Space = EmbeddingSpace & { searches_text?: boolean | undefined; unlisted?: boolean };

/** Spaces whose embedder has a text tower, by registry name: the fallback when the server does not say. */
const TEXT_SPACES = new Set(["ngram", "sentence", "dual", "open_clip"]);
/** Spaces whose embedder reads images. */
const IMAGE_SPACES = new Set(["ssl", "dual", "open_clip"]);

/** Whether a text query can be searched in the space: the server's word, else known from the name. */
export function searchesText(s: Pick<Space, "space" | "searches_text">): boolean {
  return typeof s.searches_text === "boolean" ? s.searches_text : TEXT_SPACES.has(s.space);
}

/** Whether the space embeds images (and so searches them from a text only if it also searches text). */
export function readsImages(space: string): boolean {
  return IMAGE_SPACES.has(space);
}

/** The space the server uses when none is given: the default one, else the one with the most vectors. */
export function mainSpace(spaces: readonly Space[]): Space | null {
  return spaces.find((s) => s.default) ?? [...spaces].sort((a, b) => b.count - a.count)[0] ?? null;
}

/**
 * The space a text query goes to when the user has not picked one: a listed space that reads text and has vectors
 * (the default first, else the fullest), else a listed one that reads text without vectors yet (an open_clip
 * default before its first run), else null: none reads text (a space offered but not listed is not chosen for the
 * user, as its encoder may not be trained yet).
 */
export function textSpace(spaces: readonly Space[]): Space | null {
  const readers = spaces.filter((s) => searchesText(s) && !s.unlisted);
  const filled = readers.filter((s) => s.count > 0);
  return mainSpace(filled) ?? mainSpace(readers);
}

/**
 * The space a page shows: the one the user picked (`wanted`, from the URL) when it is listed, else the text space
 * for a text query, else the main one.
 */
export function pickSpace(spaces: readonly Space[], wanted: string, forText: boolean): Space | null {
  const picked = wanted ? spaces.find((s) => s.space === wanted) : undefined;
  if (picked) return picked;
  return (forText ? textSpace(spaces) : null) ?? mainSpace(spaces);
}

/**
 * The spaces offered: the listed ones and, on an image project, `dual` when it is not listed yet (it is listed
 * once it has vectors), so its training and embedding can be chosen from the page.
 */
export function offeredSpaces(spaces: readonly Space[], itemKind: string | undefined): Space[] {
  const out = [...spaces];
  if (itemKind === "image" && !out.some((s) => s.space === "dual")) {
    const total = Math.max(0, ...out.map((s) => s.items_total));
    out.push({ space: "dual", embedder_version: null, count: 0, dim: null, items_total: total, stale: total,
               backend: null, default: false, searches_text: true, unlisted: true });  // prettier-ignore
  }
  return out;
}

/** What a space is good for, in a few words. */
export function spaceUse(s: Pick<Space, "space" | "searches_text">): string {
  if (!searchesText(s)) return "images only";
  if (s.space === "ngram") return "words";
  if (s.space === "sentence") return "meaning";
  return readsImages(s.space) ? "text and images" : "text";
}

/** A space as the selector lists it: "dual · 81 of 101 · 20 to update · text and images". */
export function spaceText(s: Space): string {
  const parts = [s.space];
  parts.push(s.count === 0 ? "not computed" : `${s.count.toLocaleString("en-US")} of ${s.items_total.toLocaleString("en-US")}`);
  if (s.count > 0 && s.stale > 0) parts.push(`${s.stale.toLocaleString("en-US")} to update`);
  parts.push(spaceUse(s));
  return parts.join(" · ");
}

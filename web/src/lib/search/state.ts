// The search page's state lives in its URL (#/projects/3/search?q=dog&lang=en&label=cat), so a search can be
// linked, reloaded and gone back to. "More like this" is the same page with `similar=<item id>` instead of `q`.

import type { ItemStatus } from "../api/client";
import { ITEM_STATUSES } from "../status";

/** The query languages offered; "auto" sends no `lang` (the embedder needs none, multilingual ones least). */
export const LANGUAGES: readonly { code: string; name: string }[] = [
  { code: "auto", name: "Any language" },
  { code: "en", name: "English" },
  { code: "de", name: "Deutsch" },
  { code: "fr", name: "Français" },
  { code: "es", name: "Español" },
  { code: "it", name: "Italiano" },
  { code: "pt", name: "Português" },
  { code: "nl", name: "Nederlands" },
  { code: "pl", name: "Polski" },
  { code: "cs", name: "Čeština" },
  { code: "tr", name: "Türkçe" },
  { code: "ru", name: "Русский" },
  { code: "zh", name: "中文" },
  { code: "ja", name: "日本語" },
  { code: "ko", name: "한국어" },
];

export interface SearchState {
  /** The text query ("" when none). */
  q: string;
  lang: string;
  label: string;
  status: ItemStatus | "";
  /** "More like this": the item whose neighbours are wanted (then `q` is ignored). */
  similar: number | null;
  /** The embedding space picked by the user ("": the page chooses, a text-reading one for a text query). */
  space: string;
  /** How many results are shown: a page more after each "Show more" (kept, so Back shows as many again). */
  k: number;
}

/** Results a page: the first search asks for this many, each "Show more" for this many more. */
export const PAGE = 48;
/** The server's largest k (services/search.py MAX_K). */
export const MAX_K = 200;
/** The server's longest text query (characters). */
export const MAX_QUERY = 1000;

export const EMPTY_SEARCH: SearchState = { q: "", lang: "auto", label: "", status: "", similar: null, space: "", k: PAGE };

/** Reads the state from the route's query, ignoring what it does not understand. */
export function readSearch(query: URLSearchParams): SearchState {
  const similar = Number(query.get("similar"));
  const status = query.get("status") ?? "";
  const lang = query.get("lang") ?? "auto";
  const space = query.get("space") ?? "";
  const k = Number(query.get("k") ?? PAGE);
  return {
    q: query.get("q") ?? "",
    lang: LANGUAGES.some((l) => l.code === lang) ? lang : "auto",
    label: query.get("label") ?? "",
    status: (ITEM_STATUSES as string[]).includes(status) ? (status as ItemStatus) : "",
    similar: Number.isInteger(similar) && similar > 0 ? similar : null,
    space: /^[a-z][a-z0-9_]{0,63}$/.test(space) ? space : "",
    k: Number.isInteger(k) && k > 0 ? Math.min(MAX_K, k) : PAGE,
  };
}

/** The app path of a search (the defaults are left out of the URL). */
export function searchPath(projectId: number, s: Partial<SearchState>): string {
  const p = new URLSearchParams();
  if (s.similar != null) p.set("similar", String(s.similar));
  else if (s.q) p.set("q", s.q);
  if (s.lang && s.lang !== "auto" && s.similar == null) p.set("lang", s.lang);
  if (s.label) p.set("label", s.label);
  if (s.status) p.set("status", s.status);
  if (s.space) p.set("space", s.space);
  if (s.k && s.k !== PAGE) p.set("k", String(s.k));
  const qs = p.toString();
  return `/projects/${projectId}/search${qs ? `?${qs}` : ""}`;
}

/** True when two states are the same search, but for how many results are shown. */
export function sameSearch(a: SearchState, b: SearchState): boolean {
  return a.q === b.q && a.lang === b.lang && a.label === b.label && a.status === b.status && a.similar === b.similar &&
    a.space === b.space;  // prettier-ignore
}

/** True when there is something to search for. */
export function hasQuery(s: SearchState): boolean {
  return s.similar !== null || s.q.trim() !== "";
}

/** A similarity as people read it: "0.873". */
export function scoreText(score: number): string {
  return score.toFixed(3);
}

// A small hash router: `#/projects/3?label=dog`. Hash URLs need no server support, so the Python server only
// serves index.html at `/`; the whole route table lives in App.svelte.

export interface Match {
  params: Record<string, string>;
}

/** Matches a path like `/projects/3/items/7` against a pattern like `/projects/:pid/items/:iid`. */
export function matchRoute(pattern: string, path: string): Match | null {
  const want = pattern.split("/").filter(Boolean);
  const got = path.split("/").filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(":")) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return null;
  }
  return { params };
}

/** Splits a location hash into its path and query. */
export function parseHash(hash: string): { path: string; query: URLSearchParams } {
  const raw = hash.replace(/^#/, "") || "/";
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  return { path: path.startsWith("/") ? path : `/${path}`, query: new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)) };
}

class Location {
  path = $state("/");
  query = $state(new URLSearchParams());

  constructor() {
    if (typeof window !== "undefined") {
      this.read();
      window.addEventListener("hashchange", () => this.read());
    }
  }

  private read(): void {
    const { path, query } = parseHash(window.location.hash);
    this.path = path;
    this.query = query;
  }
}

export const location = new Location();

/** Goes to an app path (`/projects/3`); `replace` leaves no history entry (redirects). */
export function navigate(path: string, { replace = false } = {}): void {
  const hash = `#${path}`;
  if (replace) window.history.replaceState(null, "", hash);
  else window.history.pushState(null, "", hash);
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

/** The href for an app path, for plain links (middle-click and "open in new tab" keep working). */
export function href(path: string): string {
  return `#${path}`;
}

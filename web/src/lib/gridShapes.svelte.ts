/**
 * The grid's cache of thumbnail shapes (lib/gridShapes.ts): the cells in view ask for their items (`want`), and
 * once the view has rested for a moment (or every `maxWait` ms while it keeps scrolling) the items not known yet
 * are fetched, 100 ids a request. An item the API leaves out (a video, a text) is remembered as having none.
 */
import { SvelteMap } from "svelte/reactivity";
import { api, unwrap } from "./api/client";
import { idsToFetch, type ItemShapes } from "./gridShapes";

export type ShapesFetcher = (ids: number[]) => Promise<ItemShapes[]>;

export function apiShapes(projectId: number): ShapesFetcher {
  return async (ids) => {
    const page = await unwrap(
      api.GET("/api/v1/projects/{project_id}/items/shapes", {
        params: { path: { project_id: projectId }, query: { ids: ids.join(",") } },
      }),
    );
    return page.items;
  };
}

export class ShapeCache {
  /** Per item id: its shapes, or null (none to draw: not an image of the project). */
  readonly #known = new SvelteMap<number, ItemShapes | null>();
  readonly #pending = new Set<number>();
  #wanted: number[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  #since = 0;
  #closed = false;
  /** Requests made so far (for tests and the benchmark). */
  requests = 0;

  constructor(
    private readonly fetcher: ShapesFetcher,
    private readonly delay = 120,
    private readonly maxWait = 400,
  ) {}

  get(id: number): ItemShapes | null | undefined {
    return this.#known.get(id);
  }

  /** The items in view now: fetched after a pause (debounced), unless already known or on the way. */
  want(ids: number[]): void {
    this.#wanted = ids;
    const now = Date.now();
    if (this.#timer !== null) {
      if (now - this.#since >= this.maxWait) return; // keeps scrolling: the pending timer fires soon anyway
      clearTimeout(this.#timer);
    } else {
      this.#since = now;
    }
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#load();
    }, this.delay);
  }

  /** Forgets every item's shapes (after labels changed in bulk); those in view are fetched again. */
  clear(): void {
    this.#known.clear();
    this.want(this.#wanted);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
  }

  async #load(): Promise<void> {
    for (const ids of idsToFetch(this.#wanted, this.#known, this.#pending)) {
      if (this.#closed) return;
      for (const id of ids) this.#pending.add(id);
      this.requests += 1;
      try {
        const got = await this.fetcher(ids);
        if (this.#closed) return;
        const byId = new Map(got.map((it) => [it.item_id, it]));
        for (const id of ids) this.#known.set(id, byId.get(id) ?? null);
      } catch {
        // Left unknown: the next pause in scrolling asks again. The thumbnails show without their labels.
      } finally {
        for (const id of ids) this.#pending.delete(id);
      }
    }
  }
}

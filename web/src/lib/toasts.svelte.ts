// Messages at the corner of the screen. Errors stay until dismissed (a person has to read them to act on them) or
// until the page they were about is left; confirmations fade after a few seconds.

import { describe } from "./api/problem";
import { location } from "./router.svelte";

export type ToastKind = "error" | "success" | "info";

export interface Toast {
  id: number;
  kind: ToastKind;
  title: string;
  detail: string;
  where: string[];
  /** The route path shown when it was raised (the query is left out: a page changing its own query stays). */
  route: string;
}

let nextId = 1;
export const toasts: Toast[] = $state([]);

export function dismiss(id: number): void {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}

export function notify(kind: ToastKind, title: string, detail = "", where: string[] = []): number {
  const id = nextId++;
  toasts.push({ id, kind, title, detail, where, route: location.path });
  while (toasts.length > 5) toasts.shift();
  if (kind !== "error") setTimeout(() => dismiss(id), 4000);
  return id;
}

/** Called on every route change: an error about another page ("project 999 not found") would only mislead here.
 * Confirmations stay, since a page often confirms and then moves on ("Project created"), and fade anyway. */
export function leaveOtherRoutes(path: string): void {
  for (let i = toasts.length - 1; i >= 0; i--) {
    const t = toasts[i] as Toast;
    if (t.kind === "error" && t.route !== path) toasts.splice(i, 1);
  }
}

/** Shows an error from an API call (problem+json) or anything else thrown; ``context`` says what was tried. */
export function reportError(err: unknown, context?: string): void {
  if (err instanceof DOMException && err.name === "AbortError") return;
  const d = describe(err);
  notify("error", context ? `${context}: ${d.title}` : d.title, d.detail, d.where);
  if (!(err instanceof Error && err.name === "ApiError")) console.error(err);
}

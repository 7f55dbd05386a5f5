// Messages at the corner of the screen. Errors stay until dismissed (a person has to read them to act on them);
// confirmations fade after a few seconds.

import { describe } from "./api/problem";

export type ToastKind = "error" | "success" | "info";

export interface Toast {
  id: number;
  kind: ToastKind;
  title: string;
  detail: string;
  where: string[];
}

let nextId = 1;
export const toasts: Toast[] = $state([]);

export function dismiss(id: number): void {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}

export function notify(kind: ToastKind, title: string, detail = "", where: string[] = []): number {
  const id = nextId++;
  toasts.push({ id, kind, title, detail, where });
  while (toasts.length > 5) toasts.shift();
  if (kind !== "error") setTimeout(() => dismiss(id), 4000);
  return id;
}

/** Shows an error from an API call (problem+json) or anything else thrown; ``context`` says what was tried. */
export function reportError(err: unknown, context?: string): void {
  if (err instanceof DOMException && err.name === "AbortError") return;
  const d = describe(err);
  notify("error", context ? `${context}: ${d.title}` : d.title, d.detail, d.where);
  if (!(err instanceof Error && err.name === "ApiError")) console.error(err);
}

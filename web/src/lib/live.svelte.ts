// Live updates: what other people do in a project, as it happens (GET /api/v1/projects/{id}/events, server-sent
// events). One EventSource per project, shared by every component that subscribed to it and closed a few seconds
// after the last one unsubscribes (so going from the grid to an item and back keeps the same stream, and misses
// nothing in between). A dropped connection comes back by itself: the browser reconnects and sends Last-Event-ID,
// so no event is missed; when the server refused (access gone, too many streams, the server restarting) this
// module opens a new stream after a growing pause (1 s, 2 s, 4 s ... 30 s) and resumes with `?after=`. A stream
// that ends with an `end` message (the user lost access: removed, logged out) is not reopened until someone
// subscribes again.
//
// The stream is asked for `?names=0`: every message then comes as the default "message" type with the action in
// its data, because an EventSource only hands named events to a listener registered for that exact name, and the
// actions are an open list (every part of the app adds its own).
//
// Besides the projects' streams there is one of the user's alerts across projects (GET /api/v1/alerts/events,
// key ALERTS, for the sidebar's bell): the same channel, reconnection and resume, by another URL.

import { API } from "./api/client";

/** One event of the project's audit log, as the stream sends it (`detail` reduced for non-managers). */
export type LiveEvent = {
  id: number;
  at: string;
  project_id: number | null;
  action: string;
  object_type: string;
  object_id: string | null;
  user_id: number | null;
  actor: string | null;
  detail: Record<string, unknown>;
};

/** "live": connected; "connecting": (re)connecting; "offline": not connected, trying again after a pause. */
export type LiveState = "connecting" | "live" | "offline";

const MIN_DELAY = 1000;
const MAX_DELAY = 30_000;
const CLOSED = 2; // EventSource.CLOSED (read as a number: tests replace the class)
/** How long a stream nobody listens to stays open, for the next page of the same project. */
export const LINGER = 10_000;

interface Channel {
  listeners: Set<(e: LiveEvent) => void>;
  source: EventSource | null;
  lastId: number | null;
  failures: number;
  timer: ReturnType<typeof setTimeout> | null;
  linger: ReturnType<typeof setTimeout> | null;
}

/** The key of the user's alert stream (every project whose alerts they read); a project's stream is keyed by its id. */
export const ALERTS = "alerts";
export type StreamKey = number | typeof ALERTS;

const channels = new Map<StreamKey, Channel>();
const states: Partial<Record<StreamKey, LiveState>> = $state({});

/** The URL of a project's stream (or the alert stream), resuming after event `after` (null: from now on). */
export function streamUrl(projectId: StreamKey, after: number | null): string {
  const base = projectId === ALERTS ? `${API}/alerts/events?names=0` : `${API}/projects/${projectId}/events?names=0`;
  return after === null ? base : `${base}&after=${after}`;
}

/** How long to wait before the next try after `failures` refused connections in a row. */
export function retryDelay(failures: number): number {
  return Math.min(MAX_DELAY, MIN_DELAY * 2 ** Math.max(0, failures - 1));
}

/**
 * Calls `onEvent` with every event of project `projectId` from now on, until the returned function is called.
 * Subscribers of the same project share one connection.
 */
export function subscribe(projectId: StreamKey, onEvent: (e: LiveEvent) => void): () => void {
  let channel = channels.get(projectId);
  if (channel === undefined) {
    channel = { listeners: new Set(), source: null, lastId: null, failures: 0, timer: null, linger: null };
    channels.set(projectId, channel);
    open(projectId, channel);
  }
  if (channel.linger !== null) clearTimeout(channel.linger);
  channel.linger = null;
  if (channel.source === null && channel.timer === null) open(projectId, channel); // ended: try again
  const listener = (e: LiveEvent): void => onEvent(e);
  channel.listeners.add(listener);
  const ch = channel;
  return () => {
    ch.listeners.delete(listener);
    if (ch.listeners.size > 0 || channels.get(projectId) !== ch || ch.linger !== null) return;
    ch.linger = setTimeout(() => {
      ch.linger = null;
      if (ch.listeners.size > 0 || channels.get(projectId) !== ch) return;
      channels.delete(projectId);
      close(ch);
      delete states[projectId];
    }, LINGER);
  };
}

/** Whether the project's stream is connected (reactive); "offline" when nobody subscribed to it. */
export function liveState(projectId: StreamKey): LiveState {
  return states[projectId] ?? "offline";
}

function open(projectId: StreamKey, ch: Channel): void {
  ch.timer = null;
  states[projectId] = "connecting";
  const source = new EventSource(streamUrl(projectId, ch.lastId));
  ch.source = source;
  source.onopen = () => {
    ch.failures = 0;
    states[projectId] = "live";
  };
  source.onmessage = (m: MessageEvent) => {
    const event = parse(m.data);
    if (event === null) return;
    ch.lastId = event.id;
    for (const listener of [...ch.listeners]) {
      try {
        listener(event);
      } catch (err) {
        console.error(err); // one broken consumer must not starve the others
      }
    }
  };
  source.addEventListener("end", () => {
    if (ch.source !== source) return;
    source.close(); // access is gone: reconnecting would only be refused
    ch.source = null;
    states[projectId] = "offline";
  });
  source.onerror = () => {
    if (ch.source !== source) return;
    if (source.readyState !== CLOSED) {
      states[projectId] = "connecting"; // the browser reconnects by itself, with Last-Event-ID
      return;
    }
    source.close();
    ch.source = null;
    ch.failures += 1;
    states[projectId] = "offline";
    ch.timer = setTimeout(() => open(projectId, ch), retryDelay(ch.failures));
  };
}

function close(ch: Channel): void {
  if (ch.timer !== null) clearTimeout(ch.timer);
  ch.timer = null;
  ch.source?.close();
  ch.source = null;
}

function parse(data: unknown): LiveEvent | null {
  if (typeof data !== "string") return null;
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value !== "object" || value === null) return null;
    const e = value as LiveEvent;
    return typeof e.id === "number" && typeof e.action === "string" ? { ...e, detail: e.detail ?? {} } : null;
  } catch {
    return null;
  }
}

/**
 * Calls `reload` once, `delay` ms after the first of a run of the project's events that `wanted` picks (several
 * events within `delay` make one call): a page that shows counts reads them again as others work. Returns the
 * function that stops it (and drops a call still waiting).
 */
export function reloadOn(projectId: StreamKey, wanted: (e: LiveEvent) => boolean, reload: () => void, delay: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = subscribe(projectId, (e) => {
    if (timer !== undefined || !wanted(e)) return;
    timer = setTimeout(() => {
      timer = undefined;
      reload();
    }, delay);
  });
  return () => {
    stop();
    clearTimeout(timer);
  };
}

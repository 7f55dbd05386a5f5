import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LINGER, liveState, reloadOn, retryDelay, streamUrl, subscribe, type LiveEvent } from "./live.svelte";

/** A stand-in for the browser's EventSource: the test opens it, sends messages and fails it. */
class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static all: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  onopen: ((e: Event) => void) | null = null;
  onmessage: ((e: MessageEvent) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;

  readonly named = new Map<string, ((e: MessageEvent) => void)[]>();

  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }

  addEventListener(name: string, listener: (e: MessageEvent) => void): void {
    this.named.set(name, [...(this.named.get(name) ?? []), listener]);
  }

  /** A message of a named type (`event: name`). */
  emit(name: string, data: string): void {
    for (const l of this.named.get(name) ?? []) l({ data } as MessageEvent);
  }

  open(): void {
    this.readyState = FakeEventSource.OPEN;
    this.onopen?.(new Event("open"));
  }

  send(data: unknown): void {
    this.onmessage?.({ data: typeof data === "string" ? data : JSON.stringify(data) } as MessageEvent);
  }

  /** A dropped connection the browser retries by itself (`closed`: one it gave up on, as after a 404 or 503). */
  fail(closed: boolean): void {
    this.readyState = closed ? FakeEventSource.CLOSED : FakeEventSource.CONNECTING;
    this.onerror?.(new Event("error"));
  }

  close(): void {
    this.readyState = FakeEventSource.CLOSED;
  }
}

const event = (id: number, action = "annotations.replace"): LiveEvent => ({
  id, at: "2026-12-06T09:00:00+00:00", project_id: 7, action, object_type: "item", object_id: "3",
  user_id: 2, actor: "bob", detail: { version: 2 },
});

const open = (): FakeEventSource[] => FakeEventSource.all.filter((s) => s.readyState !== FakeEventSource.CLOSED);

beforeEach(() => {
  FakeEventSource.all = [];
  vi.stubGlobal("EventSource", FakeEventSource);
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("subscribe", () => {
  it("shares one stream per project among its subscribers and closes it a while after the last one leaves", () => {
    const a: number[] = [];
    const b: number[] = [];
    const offA = subscribe(7, (e) => a.push(e.id));
    const offB = subscribe(7, (e) => b.push(e.id));
    const offOther = subscribe(8, () => {});
    expect(FakeEventSource.all.map((s) => s.url)).toEqual(["/api/v1/projects/7/events?names=0", "/api/v1/projects/8/events?names=0"]);
    const [seven] = FakeEventSource.all as [FakeEventSource];
    seven.open();
    seven.send(event(11));
    offA();
    seven.send(event(12));
    expect(a).toEqual([11]);
    expect(b).toEqual([11, 12]);
    expect(seven.readyState).toBe(FakeEventSource.OPEN);
    offB();
    expect(seven.readyState).toBe(FakeEventSource.OPEN); // the next page of the project may want it
    const offC = subscribe(7, () => {});
    vi.advanceTimersByTime(LINGER);
    expect(FakeEventSource.all).toHaveLength(2);
    expect(seven.readyState).toBe(FakeEventSource.OPEN);
    offC();
    offOther();
    vi.advanceTimersByTime(LINGER);
    expect(seven.readyState).toBe(FakeEventSource.CLOSED);
    expect(open()).toEqual([]);
  });

  it("says whether the stream is live, and skips what is no event", () => {
    const got: LiveEvent[] = [];
    const off = subscribe(7, (e) => got.push(e));
    expect(liveState(7)).toBe("connecting");
    const s = FakeEventSource.all[0] as FakeEventSource;
    s.open();
    expect(liveState(7)).toBe("live");
    s.send("not json");
    s.send({ hello: 1 });
    s.send({ ...event(5), detail: undefined });
    expect(got.map((e) => [e.id, e.detail])).toEqual([[5, {}]]);
    s.fail(false); // the browser reconnects by itself, sending Last-Event-ID
    expect(liveState(7)).toBe("connecting");
    expect(FakeEventSource.all).toHaveLength(1);
    off();
    vi.advanceTimersByTime(LINGER);
    expect(liveState(7)).toBe("offline");
  });

  it("opens a new stream after a refusal, waiting longer each time, and resumes after the last event", () => {
    const got: number[] = [];
    const off = subscribe(7, (e) => got.push(e.id));
    const first = FakeEventSource.all[0] as FakeEventSource;
    first.open();
    first.send(event(40));
    first.fail(true);
    expect(liveState(7)).toBe("offline");
    vi.advanceTimersByTime(999);
    expect(FakeEventSource.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    const second = FakeEventSource.all[1] as FakeEventSource;
    expect(second.url).toBe("/api/v1/projects/7/events?names=0&after=40");
    second.fail(true);
    vi.advanceTimersByTime(1999);
    expect(FakeEventSource.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    const third = FakeEventSource.all[2] as FakeEventSource;
    third.open();
    third.send(event(41));
    expect(got).toEqual([40, 41]);
    expect(liveState(7)).toBe("live");
    off();
    vi.advanceTimersByTime(LINGER);
    expect(open()).toEqual([]);
  });

  it("stops when the server says access is gone, and tries again for the next subscriber", () => {
    const off = subscribe(7, () => {});
    const first = FakeEventSource.all[0] as FakeEventSource;
    first.open();
    first.emit("end", '{"reason":"access"}');
    expect(first.readyState).toBe(FakeEventSource.CLOSED);
    expect(liveState(7)).toBe("offline");
    vi.advanceTimersByTime(60_000);
    expect(FakeEventSource.all).toHaveLength(1);
    const again = subscribe(7, () => {});
    expect(FakeEventSource.all).toHaveLength(2);
    off();
    again();
    vi.advanceTimersByTime(LINGER);
    expect(open()).toEqual([]);
  });

  it("stops trying once nobody listens", () => {
    const off = subscribe(7, () => {});
    (FakeEventSource.all[0] as FakeEventSource).fail(true);
    off();
    vi.advanceTimersByTime(LINGER + 60_000);
    expect(FakeEventSource.all.length).toBeLessThanOrEqual(2); // perhaps one more try within the linger
    expect(open()).toEqual([]);
  });

  it("keeps other subscribers going when one throws", () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const got: number[] = [];
    const offBad = subscribe(7, () => {
      throw new Error("broken consumer");
    });
    const offGood = subscribe(7, (e) => got.push(e.id));
    (FakeEventSource.all[0] as FakeEventSource).send(event(3));
    expect(got).toEqual([3]);
    expect(spy).toHaveBeenCalledOnce();
    offBad();
    offGood();
    vi.advanceTimersByTime(LINGER);
  });
});

describe("retryDelay and streamUrl", () => {
  it("doubles the pause up to half a minute", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelay)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it("resumes after an event when one is known", () => {
    expect(streamUrl(3, null)).toBe("/api/v1/projects/3/events?names=0");
    expect(streamUrl(3, 0)).toBe("/api/v1/projects/3/events?names=0&after=0");
  });
});

describe("reloadOn", () => {
  it("reloads once per run of wanted events, a delay after the first, and not after it stopped", () => {
    let reloads = 0;
    const stop = reloadOn(7, (e) => e.action.startsWith("alert."), () => (reloads += 1), 300);
    const [source] = open();
    source?.open();
    source?.send(event(1, "annotations.replace")); // not wanted
    vi.advanceTimersByTime(1000);
    expect(reloads).toBe(0);
    source?.send(event(2, "alert.raised"));
    source?.send(event(3, "alert.ack"));
    vi.advanceTimersByTime(299);
    expect(reloads).toBe(0);
    vi.advanceTimersByTime(1);
    expect(reloads).toBe(1); // two events, one reload
    source?.send(event(4, "alert.raised"));
    stop();
    vi.advanceTimersByTime(1000);
    expect(reloads).toBe(1); // the waiting reload was dropped with the page
  });
});

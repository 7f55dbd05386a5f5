import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/problem';
import { EditorCore } from './core';
import { FakeServer, FakeTimers, schema } from './testing';
import { saveFailure } from './words';

const flush = () => new Promise((r) => setTimeout(r, 0));

/** An editor whose saves fail (as `fail` says) with `error`, retrying after 5 s. */
function failing(error: unknown) {
  const server = new FakeServer([]);
  const timers = new FakeTimers();
  const state = { fail: true };
  const core = new EditorCore({
    item: { id: 7, projectId: 1, width: 640, height: 480, mediaUrl: '/m', version: 3 },
    schema,
    annotations: [],
    standing: 'annotator',
    save: async (v, l) => {
      if (state.fail) throw error;
      return server.save(v, l);
    },
    timers,
    retryDelay: 5000,
  });
  return { core, server, timers, state };
}

describe('a failed save', () => {
  it('goes out again at once when asked (the browser is back online), without waiting for the backoff', async () => {
    const { core, server, state } = failing(new ApiError(0, { detail: 'Failed to fetch' }));
    core.addBox({ x1: 1, y1: 1, x2: 20, y2: 20 });
    await core.flush();
    expect(core.saveStatus).toBe('error');
    expect(core.saveReason).toBe('the server cannot be reached; retrying');
    state.fail = false;
    await core.retryFailed();
    await flush();
    expect(core.saveStatus).toBe('saved');
    expect(core.saveReason).toBeNull();
    expect(server.list).toHaveLength(1);
  });

  it('is not sent again for a refusal that a retry cannot mend, and nothing is sent when all is saved', async () => {
    const { core, server, state } = failing(new ApiError(422, { detail: 'label is not in the project' }));
    core.addBox({ x1: 1, y1: 1, x2: 20, y2: 20 });
    await core.flush();
    expect(core.saveReason).toBe('label is not in the project');
    state.fail = false;
    await core.retryFailed();
    expect(core.saveStatus).toBe('error');
    expect(server.calls).toHaveLength(0);
    const ok = failing(null);
    ok.state.fail = false;
    await ok.core.retryFailed();
    expect(ok.server.calls).toHaveLength(0);
  });
});

describe('saveFailure', () => {
  it('says why in words', () => {
    expect(saveFailure(new TypeError('Failed to fetch'), false)).toBe('the server cannot be reached');
    expect(saveFailure(new ApiError(503, { title: 'Service Unavailable' }), true)).toBe(
      'the server had a problem (HTTP 503); retrying',
    );
    expect(saveFailure(new ApiError(429, { detail: 'slow down' }), true)).toBe('the server is busy; retrying');
    expect(saveFailure(new ApiError(403, { detail: 'You may not edit this item.' }), false)).toBe(
      'You may not edit this item.',
    );
  });
});

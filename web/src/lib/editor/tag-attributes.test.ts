import { describe, expect, it } from 'vitest';
import { readSpecs } from '../attributes';
import { EditorCore } from './core';
import { snapshot } from './snapshot';
import { tagAttributePanel } from './tag-attributes';
import { FakeServer, FakeTimers, schema as baseSchema } from './testing';
import type { ApiAnnotation, LabelSchema, Standing } from './types';

// Attributes of whole-item classes (image tags, whole-text classes): defaults on a new tag, the section for the
// tag in focus, one undo step per change, saved like a shape's.
const specs = readSpecs([
  { name: 'weather', type: 'select', options: ['sun', 'rain'], labels: ['car'] },
  { name: 'blurry', type: 'bool', default: false },
]);
const schema: LabelSchema = { ...baseSchema, attributes: specs };

function tag(id: number, label: string, extra: Partial<ApiAnnotation> = {}): ApiAnnotation {
  return { id, kind: 'class', label, geometry: {}, source: 'human', model_version: null, score: null, state: 'accepted', ...extra };
}

function setup(list: ApiAnnotation[], standing: Standing = 'annotator') {
  const server = new FakeServer(list);
  const timers = new FakeTimers();
  const core = new EditorCore({
    item: { id: 7, projectId: 1, width: 640, height: 480, mediaUrl: '/m', version: server.version },
    schema,
    annotations: list,
    standing,
    save: server.save,
    load: server.load,
    autosaveDelay: 800,
    timers,
  });
  return { core, server, timers };
}

const settle = () => new Promise((r) => setTimeout(r, 0));
const ui = (core: EditorCore) => snapshot(core, new Map());

describe('attributes of tags', () => {
  it('a new tag starts with its defaults and its section shows; a change is one undo step and is saved', async () => {
    const { core, server, timers } = setup([]);
    expect(ui(core).tagAttributes).toBeNull();
    core.toggleTag('car');
    const car = core.anns.find((a) => a.label === 'car')!;
    expect(car.attributes).toEqual({ blurry: false });
    const panel = ui(core).tagAttributes!;
    expect(panel.target).toBe('car');
    expect(panel.rows.map((r) => [r.spec.name, r.value])).toEqual([['weather', null], ['blurry', false]]);
    const depth = core.history.depth;
    expect(core.setAttribute(panel.keys, 'weather', 'rain')).toBe(true);
    expect(core.history.depth).toBe(depth + 1);
    expect(ui(core).tagAttributes!.rows[0]!.value).toBe('rain');
    timers.advance(800);
    await settle();
    expect(server.list.map((a) => [a.label, a.attributes])).toEqual([['car', { blurry: false, weather: 'rain' }]]);
    expect(core.undo()).toBe(true);
    expect(core.get(car.key)!.attributes).toEqual({ blurry: false });
  });

  it('shows the tag last added or reached with the keyboard, else the first that stands', () => {
    const { core } = setup([tag(1, 'car', { attributes: { weather: 'sun' } }), tag(2, 'dog')]);
    expect(ui(core).tagAttributes!.target).toBe('car'); // after a reload: the first tag
    core.focusTag('dog');
    expect(ui(core).tagAttributes!.rows.map((r) => r.spec.name)).toEqual(['blurry']);
    core.toggleTag('dog'); // removed: back to the first
    expect(ui(core).tagAttributes!.target).toBe('car');
    core.toggleTag('dog'); // added again: it shows
    expect(ui(core).tagAttributes!.target).toBe('dog');
  });

  it('leaves proposals and rejected tags out, and has no section when no tag takes attributes', () => {
    const proposal = tag(1, 'car', { source: 'model', model_version: 'm@1', score: 0.9, state: 'proposed' });
    expect(tagAttributePanel(specs, setup([proposal]).core.anns, 'car')).toBeNull();
    expect(tagAttributePanel(specs, setup([tag(2, 'car', { state: 'rejected' })]).core.anns, null)).toBeNull();
    expect(tagAttributePanel(readSpecs([{ name: 'x', type: 'bool', labels: ['cat'] }]), setup([tag(3, 'car')]).core.anns, null)).toBeNull();
  });

  it('is read-only for a viewer', () => {
    const { core } = setup([tag(1, 'car')], 'viewer');
    const panel = ui(core).tagAttributes!;
    expect(core.setAttribute(panel.keys, 'weather', 'sun')).toBe(false);
    expect(core.notice?.text).toBe('This item is read-only for you');
  });
});

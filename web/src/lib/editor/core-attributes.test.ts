import { describe, expect, it } from 'vitest';
import { readSpecs } from '../attributes';
import { attributePanel, attributeSummary, typedValue } from './attribute-panel';
import { EditorCore } from './core';
import { attributeSaid } from './say';
import { FakeServer, FakeTimers, schema as baseSchema } from './testing';
import type { ApiAnnotation, LabelSchema, SaveFn, Standing } from './types';
import { refusalAbout, refusedIndex } from './words';

const specs = readSpecs([
  { name: 'occluded', type: 'bool', default: false },
  { name: 'colour', type: 'select', options: ['red', 'blue'], labels: ['car'] },
  { name: 'speed', type: 'number' },
  { name: 'note', type: 'text' },
]);
const schema: LabelSchema = { ...baseSchema, attributes: specs };

function ann(id: number, extra: Partial<ApiAnnotation> = {}): ApiAnnotation {
  return { id, kind: 'box', label: 'car', geometry: { bbox: [10, 10, 50, 50] }, source: 'human', model_version: null, score: null, state: 'accepted', ...extra };
}

function setup(list: ApiAnnotation[], standing: Standing = 'annotator', save?: SaveFn) {
  const server = new FakeServer(list);
  const timers = new FakeTimers();
  const core = new EditorCore({
    item: { id: 7, projectId: 1, width: 640, height: 480, mediaUrl: '/m', version: server.version },
    schema,
    annotations: list,
    standing,
    save: save ?? server.save,
    load: server.load,
    autosaveDelay: 800,
    timers,
  });
  return { core, server, timers };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('attributes of new shapes', () => {
  it('start with the defaults of the attributes their label takes', () => {
    const { core } = setup([]);
    core.chooseLabel('car');
    const car = core.addBox({ x1: 1, y1: 1, x2: 20, y2: 20 })!;
    expect(core.get(car)!.attributes).toEqual({ occluded: false });
    core.chooseLabel('dog');
    const dog = core.addPolygon([1, 1, 30, 1, 30, 30])!;
    expect(core.get(dog)!.attributes).toEqual({ occluded: false });
    expect(core.toInputs().map((a) => a.attributes)).toEqual([{ occluded: false }, { occluded: false }]);
  });
});

describe('setAttribute', () => {
  it('sets a value on one shape as one undoable step, and the save sends it', async () => {
    const { core, server, timers } = setup([ann(1)]);
    expect(core.setAttribute(['s1'], 'colour', 'blue')).toBe(true);
    expect(core.setAttribute(['s1'], 'occluded', true)).toBe(true);
    expect(core.get('s1')!.attributes).toEqual({ colour: 'blue', occluded: true });
    expect(core.history.undoLabel).toBe('set occluded');
    expect(core.saveStatus).toBe('pending');
    timers.advance(800);
    await settle();
    expect(server.calls.at(-1)!.list[0]!.attributes).toEqual({ colour: 'blue', occluded: true });
    expect(core.saveStatus).toBe('saved');
    expect(core.undo()).toBe(true);
    expect(core.get('s1')!.attributes).toEqual({ colour: 'blue' });
    expect(core.notice?.text).toBe('Undid set occluded');
    expect(core.setAttribute(['s1'], 'colour', null)).toBe(true);
    expect(core.get('s1')!.attributes).toEqual({});
    expect(core.history.undoLabel).toBe('clear colour');
  });

  it('sets every selected shape the attribute applies to in one step, and skips the others', () => {
    const { core } = setup([ann(1), ann(2, { label: 'dog' }), ann(3, { attributes: { colour: 'blue' } })]);
    const depth = core.history.depth;
    expect(core.setAttribute(['s1', 's2', 's3'], 'colour', 'red')).toBe(true);
    expect(core.anns.map((a) => a.attributes)).toEqual([{ colour: 'red' }, {}, { colour: 'red' }]);
    expect(core.history.depth).toBe(depth + 1);
    expect(core.undo()).toBe(true);
    expect(core.anns.map((a) => a.attributes)).toEqual([{}, {}, { colour: 'blue' }]);
    // Nothing to change: no step.
    expect(core.setAttribute(['s2'], 'colour', 'red')).toBe(false);
    expect(core.setAttribute(['s3'], 'colour', 'blue')).toBe(false);
    expect(core.history.depth).toBe(depth);
  });

  it('refuses a value that is no value of the attribute, and an undeclared name, saying why', () => {
    const { core } = setup([ann(1)]);
    expect(core.setAttribute(['s1'], 'colour', 'green')).toBe(false);
    expect(core.notice?.text).toBe("colour: 'green' is not one of red, blue");
    expect(core.setAttribute(['s1'], 'speed', Number.NaN)).toBe(false);
    expect(core.setAttribute(['s1'], 'nope', 1)).toBe(false);
    expect(core.get('s1')!.attributes).toEqual({});
  });

  it('clears a value stored where the attribute does not apply', () => {
    const { core } = setup([ann(1, { label: 'dog', attributes: { colour: 'red', coco_id: 4 } })]);
    expect(core.setAttribute(['s1'], 'colour', 'blue')).toBe(false);
    expect(core.setAttribute(['s1'], 'colour', null)).toBe(true);
    expect(core.get('s1')!.attributes).toEqual({ coco_id: 4 });
  });

  it('is refused on a read-only item', () => {
    const { core } = setup([ann(1)], 'viewer');
    expect(core.setAttribute(['s1'], 'occluded', true)).toBe(false);
    expect(core.notice?.text).toBe('This item is read-only for you');
  });

  it("makes a model's proposal the person's own, like a relabel", () => {
    const { core } = setup([ann(1, { source: 'model', model_version: 'm@1', score: 0.8, state: 'proposed' })]);
    core.setAttribute(['s1'], 'occluded', true);
    expect(core.get('s1')).toMatchObject({ source: 'human', state: 'accepted', score: null, attributes: { occluded: true } });
  });
});

describe('relabel and proposals', () => {
  it('a relabel drops what the new class does not take, fills its defaults, keeps format data; undo restores', () => {
    const { core } = setup([ann(1, { attributes: { colour: 'blue', occluded: true, coco_id: 9 } }), ann(2, { label: 'dog' })]);
    core.select('s1');
    core.chooseLabel('dog');
    expect(core.get('s1')!.attributes).toEqual({ occluded: true, coco_id: 9 });
    expect(core.undo()).toBe(true);
    expect(core.get('s1')).toMatchObject({ label: 'car', attributes: { colour: 'blue', occluded: true, coco_id: 9 } });
    core.select('s2');
    core.chooseLabel('car');
    expect(core.get('s2')!.attributes).toEqual({ occluded: false });
  });

  it('an accepted proposal keeps the attributes the model gave it', () => {
    const model = { source: 'model' as const, model_version: 'm@1', score: 0.9, state: 'proposed' as const };
    const { core } = setup([ann(1, { ...model, attributes: { colour: 'red', pose: 'left' } })], 'reviewer');
    expect(core.decide('s1', 'accepted')).toBe(true);
    expect(core.get('s1')).toMatchObject({ state: 'accepted', attributes: { colour: 'red', pose: 'left' } });
    const annotator = setup([ann(1, { ...model, attributes: { colour: 'red' } })]).core;
    expect(annotator.decide('s1', 'accepted')).toBe(true);
    expect(annotator.get('s1')).toMatchObject({ source: 'human', attributes: { colour: 'red' } });
  });
});

describe('a save refused for an attribute', () => {
  it("selects the shape the server names and says the refusal in the shape's terms", async () => {
    const refusal = Object.assign(new Error("annotations[1]: attribute 'colour' 'red' does not apply to label 'dog'"), {
      status: 422,
      problem: { field: 'annotations[1].attributes.colour' },
    });
    const { core, timers } = setup([ann(1), ann(2, { label: 'dog' })], 'annotator', async () => {
      throw refusal;
    });
    core.setAttribute(['s1'], 'occluded', true);
    timers.advance(800);
    await settle();
    expect(core.saveStatus).toBe('error');
    expect(core.selectedKey).toBe('s2');
    const told =
      "dog box: attribute 'colour' 'red' does not apply to label 'dog' (the project's attributes may have changed" +
      ' since this page was opened: reload it to see them)';
    expect(core.saveReason).toBe(told);
    expect(core.notice).toMatchObject({ tone: 'error', text: `Not saved: ${told}` });
  });

  it('reads the annotation a refusal names', () => {
    expect(refusedIndex({ problem: { field: 'annotations[12].attributes.colour' } })).toBe(12);
    expect(refusedIndex({ problem: { field: 'version' } })).toBeNull();
    expect(refusedIndex(new Error('x'))).toBeNull();
    expect(refusalAbout('annotations[0]: a label is required', { label: null, kind: 'polygon' })).toBe(
      'unlabelled polygon: a label is required',
    );
  });
});

describe('attributePanel', () => {
  const core = setup([
    ann(1, { attributes: { colour: 'blue', occluded: true } }),
    ann(2, { attributes: { colour: 'red', occluded: true, speed: 'fast' } }),
    ann(3, { label: 'dog', attributes: { colour: 'green' } }),
  ]).core;
  const [a1, a2, a3] = core.anns;

  it('shows one row per attribute that applies, with the value or unset', () => {
    const p = attributePanel(specs, [a1!]);
    expect(p.target).toBe('car');
    expect(p.empty).toBeNull();
    expect(p.rows.map((r) => [r.spec.name, r.value, r.mixed, r.problem])).toEqual([
      ['occluded', true, false, null],
      ['colour', 'blue', false, null],
      ['speed', null, false, null],
      ['note', null, false, null],
    ]);
  });

  it('says "mixed" across shapes that differ, and counts those it applies to', () => {
    const p = attributePanel(specs, [a1!, a2!, a3!]);
    expect(p.target).toBe('3 shapes');
    const colour = p.rows.find((r) => r.spec.name === 'colour')!;
    expect([colour.mixed, colour.value, colour.applies]).toEqual([true, null, 2]);
    const occluded = p.rows.find((r) => r.spec.name === 'occluded')!;
    expect([occluded.mixed, occluded.applies]).toEqual([true, 3]);
  });

  it('flags a stored value that is no value, or is set where it does not apply', () => {
    expect(attributePanel(specs, [a2!]).rows.find((r) => r.spec.name === 'speed')!.problem).toBe("must be a number, not 'fast'");
    const dog = attributePanel(specs, [a3!]).rows.find((r) => r.spec.name === 'colour')!;
    expect(dog.problem).toBe("'green' is set, but colour does not apply to dog");
    expect(dog.applies).toBe(0);
  });

  it('says why there are no rows', () => {
    expect(attributePanel(specs, []).empty).toBe('Select a shape to see and set its attributes.');
    const onlyCar = readSpecs([{ name: 'colour', type: 'select', options: ['red'], labels: ['car'] }]);
    const dog = setup([ann(1, { label: 'dog' })]).core.anns[0]!;
    expect(attributePanel(onlyCar, [dog]).empty).toBe('No attributes apply to dog.');
  });
});

describe('typedValue and attributeSaid', () => {
  it('reads what was typed into a number or text field', () => {
    const [speed, note] = [specs[2]!, specs[3]!];
    expect(typedValue(speed, '2')).toEqual({ value: 2 });
    expect(typedValue(speed, ' ')).toEqual({ value: null });
    expect(typedValue(speed, '', true)).toEqual({ problem: 'enter a number, or leave it empty' });
    expect(typedValue(note, 'front left')).toEqual({ value: 'front left' });
    expect(typedValue(note, '')).toEqual({ value: null });
    expect(typedValue(note, 'x'.repeat(1001))).toEqual({ problem: 'is longer than 1000 characters' });
  });

  it('says the change in words', () => {
    expect(attributeSaid('colour', 'red', 'car')).toBe('colour red on car');
    expect(attributeSaid('occluded', true, 'car')).toBe('occluded checked on car');
    expect(attributeSaid('occluded', false, '2 shapes')).toBe('occluded unchecked on 2 shapes');
    expect(attributeSaid('speed', null, 'car')).toBe('speed cleared on car');
  });
});

describe('attributeSummary', () => {
  it("puts the set values of the selected shape's attributes in a few words for its canvas label", () => {
    const { core } = setup([
      ann(1, { attributes: { occluded: true, colour: 'blue', speed: 2, coco_id: 3 } }),
      ann(2, { attributes: { occluded: false, note: 'x'.repeat(80) } }),
      ann(3, { label: 'dog', attributes: { colour: 'red' } }),
      ann(4, { attributes: { note: '', speed: 0 } }),
    ]);
    const [a1, a2, a3, a4] = core.anns;
    expect(attributeSummary(specs, a4!)).toBe('speed 0'); // an empty text is no value to show
    expect(attributeSummary(specs, a1!)).toBe('occluded · colour blue · speed 2');
    expect(attributeSummary(specs, a2!)).toBe(`note ${'x'.repeat(54)}…`);
    expect(attributeSummary(specs, a3!)).toBe('');
  });
});

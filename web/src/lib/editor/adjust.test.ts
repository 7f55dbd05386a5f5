import { describe, expect, it, vi } from 'vitest';
import {
  ADJUST_DEFAULTS,
  ADJUST_SETTING,
  AdjustStore,
  adjustFilter,
  clampAdjust,
  isDefaultAdjust,
  normalizeAdjust,
  readAdjust,
  writeAdjust,
} from './adjust';

/** A Storage with what the module uses, over a Map. */
function memory(initial: Record<string, string> = {}): Storage & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  return {
    data,
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    key: (i: number) => [...data.keys()][i] ?? null,
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
  };
}

const refusing = {
  getItem: () => {
    throw new DOMException('denied', 'SecurityError');
  },
  setItem: () => {
    throw new DOMException('full', 'QuotaExceededError');
  },
  removeItem: () => {
    throw new DOMException('denied', 'SecurityError');
  },
};

describe('adjustFilter: the canvas filter for the adjustments', () => {
  it('is none at the defaults, so the editors draw the picture as before', () => {
    expect(adjustFilter(ADJUST_DEFAULTS)).toBe('none');
    expect(isDefaultAdjust(ADJUST_DEFAULTS)).toBe(true);
  });

  it('names only the changed values, in the order brightness, contrast, saturate', () => {
    expect(adjustFilter({ ...ADJUST_DEFAULTS, brightness: 150 })).toBe('brightness(150%)');
    expect(adjustFilter({ brightness: 100, contrast: 80, saturation: 0 })).toBe('contrast(80%) saturate(0%)');
    expect(adjustFilter({ brightness: 40, contrast: 250, saturation: 300 })).toBe('brightness(40%) contrast(250%) saturate(300%)');
    expect(isDefaultAdjust({ ...ADJUST_DEFAULTS, contrast: 101 })).toBe(false);
  });
});

describe('clampAdjust and normalizeAdjust: values kept in range', () => {
  it('rounds to whole percents and clamps to 0-300', () => {
    expect(clampAdjust('brightness', 149.6)).toBe(150);
    expect(clampAdjust('brightness', -20)).toBe(0);
    expect(clampAdjust('contrast', 1000)).toBe(300);
    expect(clampAdjust('saturation', 300)).toBe(300);
  });

  it('gives the default for anything but a finite number', () => {
    for (const bad of [Number.NaN, Infinity, '150', null, undefined, {}, true]) expect(clampAdjust('contrast', bad)).toBe(100);
  });

  it('fills missing or bad fields with their defaults and ignores unknown ones', () => {
    expect(normalizeAdjust({ brightness: 500, saturation: 'x', hue: 40 })).toEqual({ brightness: 300, contrast: 100, saturation: 100 });
    for (const bad of [null, 42, 'text', [150, 120, 80]]) expect(normalizeAdjust(bad)).toEqual(ADJUST_DEFAULTS);
  });
});

describe('readAdjust and writeAdjust: kept per browser', () => {
  it('reads the defaults when nothing is stored', () => {
    expect(readAdjust(memory())).toEqual(ADJUST_DEFAULTS);
    expect(readAdjust(undefined)).toEqual(ADJUST_DEFAULTS);
  });

  it('writes JSON under one key, and removes the key at the defaults', () => {
    const s = memory();
    writeAdjust(s, { brightness: 150, contrast: 90, saturation: 100 });
    expect(JSON.parse(s.data.get(ADJUST_SETTING)!)).toEqual({ brightness: 150, contrast: 90, saturation: 100 });
    expect(readAdjust(s)).toEqual({ brightness: 150, contrast: 90, saturation: 100 });
    writeAdjust(s, ADJUST_DEFAULTS);
    expect(s.data.has(ADJUST_SETTING)).toBe(false);
  });

  it('falls back to the defaults for a corrupt value, and clamps a stored one out of range', () => {
    for (const text of ['{not json', '"150"', 'null', '[1,2,3]', '{"brightness":"bright"}']) {
      expect(readAdjust(memory({ [ADJUST_SETTING]: text }))).toEqual(ADJUST_DEFAULTS);
    }
    expect(readAdjust(memory({ [ADJUST_SETTING]: '{"brightness":900,"contrast":-5}' }))).toEqual({ brightness: 300, contrast: 0, saturation: 100 });
  });

  it('reads the defaults and does not throw when storage refuses', () => {
    expect(readAdjust(refusing)).toEqual(ADJUST_DEFAULTS);
    expect(() => writeAdjust(refusing, { ...ADJUST_DEFAULTS, brightness: 120 })).not.toThrow();
  });
});

describe('AdjustStore: the values both editors share', () => {
  it('starts from what is stored, and a change is clamped, stored and told', () => {
    const s = memory({ [ADJUST_SETTING]: '{"brightness":120}' });
    const store = new AdjustStore(() => s);
    expect(store.value).toEqual({ brightness: 120, contrast: 100, saturation: 100 });
    const seen = vi.fn();
    const off = store.subscribe(seen);
    store.set({ contrast: 400 });
    expect(store.value).toEqual({ brightness: 120, contrast: 300, saturation: 100 });
    expect(store.filter).toBe('brightness(120%) contrast(300%)');
    expect(seen).toHaveBeenCalledWith({ brightness: 120, contrast: 300, saturation: 100 });
    expect(JSON.parse(s.data.get(ADJUST_SETTING)!)).toEqual(store.value);
    off();
    store.set({ saturation: 50 });
    expect(seen).toHaveBeenCalledTimes(1);
  });

  it('tells nobody when nothing changed (a clamped value equal to the current one)', () => {
    const store = new AdjustStore(() => memory({ [ADJUST_SETTING]: '{"brightness":300}' }));
    const seen = vi.fn();
    store.subscribe(seen);
    store.set({ brightness: 350 });
    expect(seen).not.toHaveBeenCalled();
  });

  it('resets to the defaults and forgets the stored value', () => {
    const s = memory({ [ADJUST_SETTING]: '{"brightness":60,"saturation":0}' });
    const store = new AdjustStore(() => s);
    const seen = vi.fn();
    store.subscribe(seen);
    store.reset();
    expect(store.value).toEqual(ADJUST_DEFAULTS);
    expect(store.filter).toBe('none');
    expect(seen).toHaveBeenCalledWith(ADJUST_DEFAULTS);
    expect(s.data.has(ADJUST_SETTING)).toBe(false);
  });

  it('works for the page without storage', () => {
    const store = new AdjustStore(() => undefined);
    store.set({ brightness: 150 });
    expect(store.filter).toBe('brightness(150%)');
  });
});

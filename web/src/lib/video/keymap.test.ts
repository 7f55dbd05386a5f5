import { describe, expect, it } from 'vitest';
import { VIDEO_SHORTCUTS, videoActionFor, videoHotkeys } from './keymap';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

describe('video keys', () => {
  it('steps frames like CVAT', () => {
    expect(videoActionFor(key('f'))).toBe('frame.next');
    expect(videoActionFor(key('d'))).toBe('frame.prev');
    expect(videoActionFor(key(' '))).toBe('play');
    expect(videoActionFor(key('k'))).toBe('keyframe');
    expect(videoActionFor(key('o'))).toBe('outside');
  });

  it('tells n from Shift+n', () => {
    expect(videoActionFor(key('n'))).toBe('suggest.next');
    expect(videoActionFor(key('N', { shiftKey: true }))).toBe('suggest.prev');
    expect(videoActionFor(key('g'))).toBe('suggest.top');
    expect(videoActionFor(key('F', { shiftKey: true }))).toBe('zoom.fit');
  });

  it('plays slower and faster with < and > (Shift+, and Shift+.), as on YouTube, listed in the help sheet', () => {
    expect(videoActionFor(key('<', { shiftKey: true }))).toBe('speed.down');
    expect(videoActionFor(key('>', { shiftKey: true }))).toBe('speed.up');
    // A layout with its own < key types it without Shift.
    expect(videoActionFor(key('<'))).toBe('speed.down');
    // The unshifted keys stay free, and Ctrl+Shift+. is the browser's.
    expect(videoActionFor(key(','))).toBeNull();
    expect(videoActionFor(key('.'))).toBeNull();
    expect(videoActionFor(key('>', { ctrlKey: true, shiftKey: true }))).toBeNull();
    expect(VIDEO_SHORTCUTS.find((s) => s.keys.includes('>'))?.description).toMatch(/slower \/ faster/);
  });

  it('leaves unknown Shift+letters and browser shortcuts alone', () => {
    expect(videoActionFor(key('A', { shiftKey: true }))).toBeNull();
    expect(videoActionFor(key('f', { ctrlKey: true }))).toBeNull();
    expect(videoActionFor(key('s', { ctrlKey: true }))).toBe('save');
  });

  it('undoes and redoes with the image and text editors’ keys', () => {
    expect(videoActionFor(key('z', { ctrlKey: true }))).toBe('undo');
    expect(videoActionFor(key('z', { metaKey: true }))).toBe('undo');
    expect(videoActionFor(key('Z', { ctrlKey: true, shiftKey: true }))).toBe('redo');
    expect(videoActionFor(key('Z', { metaKey: true, shiftKey: true }))).toBe('redo');
    expect(videoActionFor(key('y', { ctrlKey: true }))).toBe('redo');
    expect(videoActionFor(key('z', { ctrlKey: true, altKey: true }))).toBeNull();
    expect(videoActionFor(key('z'))).toBeNull();
  });

  it('hides every track with h, the selected one with Shift+H, locks it with l, finds one with /', () => {
    expect(videoActionFor(key('h'))).toBe('tracks.hide');
    expect(videoActionFor(key('H', { shiftKey: true }))).toBe('track.hide');
    expect(videoActionFor(key('l'))).toBe('track.lock');
    expect(videoActionFor(key('/'))).toBe('tracks.find');
    // Ctrl+F stays the browser's find.
    expect(videoActionFor(key('f', { ctrlKey: true }))).toBeNull();
    const help = (k: string): string | undefined => VIDEO_SHORTCUTS.find((s) => s.keys.includes(k))?.description;
    expect(help('Shift+H')).toMatch(/^Hide or show the selected track/);
    expect(help('H')).toMatch(/^Hide every track but the selected one/);
    expect(help('L')).toMatch(/^Lock or unlock the selected track/);
    expect(help('/')).toMatch(/^Find a track by id or class/);
    const classes = [
      { name: 'person', color: '#f00', hotkey: 'h' },
      { name: 'car', color: '#0f0', hotkey: 'l' },
      { name: 'bus', color: '#00f', hotkey: '/' },
    ];
    expect([...videoHotkeys(classes)]).toEqual([]);
  });

  it('ignores class hotkeys that clash with editor keys', () => {
    const classes = [
      { name: 'person', color: '#f00', hotkey: '1' },
      { name: 'car', color: '#0f0', hotkey: 'f' },
      { name: 'bike', color: '#00f', hotkey: '2' },
      { name: 'bus', color: '#ff0', hotkey: '>' },
      { name: 'van', color: '#0ff', hotkey: '?' }, // the help sheet's key, pressed with or without Shift
    ];
    expect([...videoHotkeys(classes)]).toEqual([
      ['1', 'person'],
      ['2', 'bike'],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { announce, announcer, itemAnnouncement } from './announce.svelte';

describe('announce', () => {
  it('says the item and where it is', () => {
    expect(itemAnnouncement('demo_032.jpg', '2 / 32')).toBe('demo_032.jpg, item 2 of 32');
    expect(itemAnnouncement('demo_032.jpg', '7')).toBe('demo_032.jpg, item 7');
    expect(itemAnnouncement('demo_032.jpg', '')).toBe('demo_032.jpg');
  });
  it('changes the text when the same thing is said twice', () => {
    announce('x');
    const first = announcer.text;
    announce('x');
    expect(announcer.text).not.toBe(first);
    expect(announcer.text.trim()).toBe('x');
  });
});

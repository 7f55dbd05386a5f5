import { describe, expect, it } from 'vitest';
import { frameEdge, frameToX, formatTime, parseFrame, tickStep, xToFrame } from './scale';

describe('frame <-> x', () => {
  const s = { n: 40, x0: 100, width: 800 };

  it('puts frame f in a cell of width / n pixels from x0', () => {
    expect(frameEdge(s, 0)).toBe(100);
    expect(frameEdge(s, 40)).toBe(900);
    expect(frameToX(s, 0)).toBe(110);
    expect(frameToX(s, 20)).toBe(510);
  });

  it('maps every x in a cell back to its frame, and the centre of each frame to itself', () => {
    expect(xToFrame(s, 100)).toBe(0);
    expect(xToFrame(s, 119.9)).toBe(0);
    expect(xToFrame(s, 120)).toBe(1);
    for (let f = 0; f < s.n; f++) expect(xToFrame(s, frameToX(s, f))).toBe(f);
  });

  it('clamps x outside the strip to the first and last frame', () => {
    expect(xToFrame(s, -50)).toBe(0);
    expect(xToFrame(s, 5000)).toBe(39);
  });

  it('handles thousands of frames on few pixels', () => {
    const long = { n: 100_000, x0: 0, width: 1000 };
    expect(xToFrame(long, 500)).toBe(50_000);
    expect(xToFrame(long, frameToX(long, 12_345))).toBe(12_345);
  });
});

describe('the ruler and times', () => {
  it('picks a 1-2-5 tick step that keeps labels apart', () => {
    expect(tickStep({ n: 40, x0: 0, width: 800 }, 56)).toBe(5);
    expect(tickStep({ n: 10_000, x0: 0, width: 1000 }, 56)).toBe(1000);
    expect(tickStep({ n: 3, x0: 0, width: 30 }, 56)).toBe(5);
  });

  it('formats a frame as time at the frame rate', () => {
    expect(formatTime(0, 30)).toBe('0:00.00');
    expect(formatTime(20, 30)).toBe('0:00.67');
    expect(formatTime(1800 + 15, 30)).toBe('1:00.50');
    expect(formatTime(30 * 3600, 30)).toBe('1:00:00.00');
    expect(formatTime(10, null)).toBe('–');
  });

  it('parses a typed frame number, clamped into the video', () => {
    expect(parseFrame(' 12 ', 40)).toBe(12);
    expect(parseFrame('99', 40)).toBe(39);
    expect(parseFrame('-3', 40)).toBe(0);
    expect(parseFrame('1.5', 40)).toBeNull();
    expect(parseFrame('abc', 40)).toBeNull();
  });
});

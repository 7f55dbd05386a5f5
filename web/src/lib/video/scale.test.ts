import { describe, expect, it } from 'vitest';
import { DEFAULT_FPS, fpsText, frameEdge, frameToX, formatTime, parseFrame, playbackFps, tickStep, timeReadout, xToFrame } from './scale';

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

describe('the timeline time and the frame rate', () => {
  it('shows the length of the video as frame_count / fps, not the start of its last frame', () => {
    expect(timeReadout(0, 120, 30).text).toBe('0:00.00 / 0:04.00');
    expect(timeReadout(119, 120, 30).text).toBe('0:03.97 / 0:04.00');
    expect(timeReadout(195, 196, 25).text).toBe('0:07.80 / 0:07.84');
    expect(timeReadout(195, 196, 25).assumed).toBe(false);
  });

  it('times a video without a frame rate at the rate it plays at, and says it is assumed', () => {
    expect(DEFAULT_FPS).toBe(25);
    expect(playbackFps(null)).toBe(DEFAULT_FPS);
    expect(playbackFps(0)).toBe(DEFAULT_FPS);
    expect(playbackFps(29.97)).toBe(29.97);
    const t = timeReadout(10, 40, null);
    expect(t).toMatchObject({ text: '0:00.40 / 0:01.60 (25 fps assumed)', assumed: true });
    expect(t.title).toContain('no frame rate');
    expect(timeReadout(10, 40, Number.NaN).assumed).toBe(true);
  });

  it('names the frame rate in the toolbar, or the one it plays at', () => {
    expect(fpsText(30)).toBe('30 fps');
    expect(fpsText(29.97003)).toBe('29.97 fps');
    expect(fpsText(null)).toBe('fps unknown (plays at 25)');
  });

  it('rounds to the hundredths shown before splitting into minutes', () => {
    expect(formatTime(59.996 * 100, 100)).toBe('1:00.00');
    expect(formatTime(3599.996 * 100, 100)).toBe('1:00:00.00');
  });
});

import { describe, expect, it } from 'vitest';
import { PAGE_NAMES, titleText } from './title.svelte';

describe('titleText', () => {
  it('joins page, project and the app', () => {
    expect(titleText('Settings', 'Demo: shapes')).toBe('Settings · Demo: shapes · labelhub');
  });
  it('leaves out what is not known', () => {
    expect(titleText('Projects')).toBe('Projects · labelhub');
    expect(titleText('Items', null)).toBe('Items · labelhub');
    expect(titleText(null)).toBe('labelhub');
  });
  it('names every route', () => {
    expect(PAGE_NAMES['/projects/:pid/review']).toBe('Review queue');
    expect(PAGE_NAMES['']).toBe('Page not found');
  });
});

/**
 * "Show outside" (the toolbar's checkbox: boxes where the object is outside, drawn faint and dashed) as this browser
 * tab last left it, for every video: sessionStorage, so a reload keeps it and a new tab starts without.
 */

import { tabStore } from './track-flags.svelte';

const OUTSIDE_KEY = 'labelhub.video.showOutside';

export function rememberedOutside(): boolean {
  try {
    return tabStore()?.getItem(OUTSIDE_KEY) === '1';
  } catch {
    return false;
  }
}

export function rememberOutside(on: boolean): void {
  try {
    tabStore()?.setItem(OUTSIDE_KEY, on ? '1' : '0');
  } catch {
    // Storage refused (private mode): the toggle still works for this page.
  }
}

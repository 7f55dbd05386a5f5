/**
 * Where the app's toasts (`components/Toasts.svelte`, fixed at the bottom right of the window) show while the
 * video editor is open: at the bottom right of the stage (the frame), just above the timeline and left of the
 * track panel, so an error never covers the timeline's controls ("Least sure") or the tracks. The stage's place
 * is measured and handed to CSS as variables on <html>, read by a rule in `VideoEditor.svelte`; it follows the
 * stage as the window, the toolbar or the number of lanes changes it.
 */

const VARS = ['--video-toasts-bottom', '--video-toasts-right', '--video-toasts-width', '--video-toasts-max-height'];

/** The class on <html> while an editor keeps the toasts over its stage. */
export const TOASTS_OVER_STAGE = 'video-toasts-over-stage';

/** Editors holding the toasts now (one, except for a moment while the next item's editor replaces the last). */
let holders = 0;

/** Keep the toasts over `stage` until the returned function is called. */
export function keepToastsOverStage(stage: HTMLElement): () => void {
  const root = document.documentElement;
  const place = (): void => {
    const r = stage.getBoundingClientRect();
    const values = [root.clientHeight - r.bottom, root.clientWidth - r.right, r.width, r.height];
    VARS.forEach((name, i) => root.style.setProperty(name, `${Math.max(0, Math.round(values[i]!))}px`));
  };
  place();
  holders++;
  root.classList.add(TOASTS_OVER_STAGE);
  const observer = new ResizeObserver(place);
  observer.observe(stage);
  window.addEventListener('resize', place);
  return () => {
    observer.disconnect();
    window.removeEventListener('resize', place);
    if (--holders > 0) return;
    root.classList.remove(TOASTS_OVER_STAGE);
    for (const name of VARS) root.style.removeProperty(name);
  };
}

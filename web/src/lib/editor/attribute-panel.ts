/**
 * What the image editor's "Attributes" section shows for the selected shape(s), free of the DOM: a row per
 * attribute that applies (its shared value, or "mixed" across several shapes, and why a stored value is no value
 * of it), the line said instead when there is nothing to show, and what a typed entry means. The section
 * (`AttributePanel.svelte`) draws the rows and hands changes to `EditorCore.setAttribute`.
 */

import { appliesTo, commonValue, valueProblem, type AttributeSpec, type AttributeValue } from '../attributes';
import { count } from '../plural';
import type { Ann } from './types';

/** What the section reads of a shape (the video editor hands it a track in this shape). */
export type AttributeHolder = Pick<Ann, 'key' | 'label' | 'attributes'>;

export interface AttributeRow {
  spec: AttributeSpec;
  /** The value the shapes it applies to share; null when unset, mixed, or no value of the attribute. */
  value: AttributeValue | null;
  /** The shapes hold different values. */
  mixed: boolean;
  /** Why a stored value is no value of the attribute ("'green' is not one of red, blue"), to be fixed. */
  problem: string | null;
  /** How many of the selected shapes it applies to (a change sets it on those). */
  applies: number;
}

export interface AttributePanelModel {
  /** The selected shapes' keys. */
  keys: string[];
  /** The selection in words: "car", "3 shapes". */
  target: string;
  rows: AttributeRow[];
  /** Said instead of the rows when there are none. */
  empty: string | null;
}

function stored(a: AttributeHolder, name: string): unknown {
  return a.attributes[name] ?? null;
}

/** The row for `spec` over `anns`, or null when it neither applies to nor is stored on any of them. */
function rowFor(spec: AttributeSpec, anns: readonly AttributeHolder[]): AttributeRow | null {
  const takers = anns.filter((a) => appliesTo(spec, a.label));
  if (takers.length === 0) {
    // A value kept where the attribute does not apply (stored before the label or the declaration changed).
    const stray = anns.find((a) => stored(a, spec.name) !== null);
    if (!stray) return null;
    const problem = `${show(stored(stray, spec.name))} is set, but ${spec.name} does not apply to ${stray.label ?? 'unlabelled shapes'}`;
    return { spec, value: null, mixed: false, problem, applies: 0 };
  }
  const shared = commonValue(
    takers.map((a) => ({ v: stored(a, spec.name) })),
    'v',
  );
  let problem: string | null = null;
  for (const a of takers) {
    problem = valueProblem(spec, stored(a, spec.name));
    if (problem !== null) break;
  }
  const value = shared.mixed || problem !== null ? null : (shared.value as AttributeValue | null);
  return { spec, value, mixed: shared.mixed, problem, applies: takers.length };
}

function show(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v));
}

/** The section's picture for the selected annotations `anns` under the project's declarations `specs`. */
export function attributePanel(specs: readonly AttributeSpec[], anns: readonly AttributeHolder[]): AttributePanelModel {
  const keys = anns.map((a) => a.key);
  const target = anns.length === 1 ? (anns[0]!.label ?? 'this shape') : count(anns.length, 'shape');
  const rows = anns.length === 0 ? [] : specs.map((s) => rowFor(s, anns)).filter((r): r is AttributeRow => r !== null);
  let empty: string | null = null;
  if (anns.length === 0) empty = 'Select a shape to see and set its attributes.';
  else if (rows.length === 0) empty = `No attributes apply to ${anns.length === 1 ? target : 'these shapes'}.`;
  return { keys, target, rows, empty };
}

/** What a typed entry means for a number or text attribute: the value (null: unset, the field left empty), or
 * why it is none. `badInput` is the field's `validity.badInput` (a number field holding no number). */
export function typedValue(
  spec: AttributeSpec,
  raw: string,
  badInput = false,
): { value: AttributeValue | null } | { problem: string } {
  if (spec.type === 'number') {
    if (badInput) return { problem: 'enter a number, or leave it empty' };
    if (raw.trim() === '') return { value: null };
    const n = Number(raw);
    return Number.isFinite(n) ? { value: n } : { problem: 'enter a number, or leave it empty' };
  }
  if (raw === '') return { value: null };
  const problem = valueProblem(spec, raw);
  return problem === null ? { value: raw } : { problem };
}

/** Keys that change a closed drop-down's choice where they are pressed (each fires `change` in Chromium and Firefox):
 * the arrows, Home, End, the page keys and type-ahead letters. Space and Alt+arrows open the list instead. */
export function movesChoice(key: string): boolean {
  return ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageUp', 'PageDown'].includes(key) || (key.length === 1 && key !== ' ');
}

/**
 * A drop-down's choice made with the keys on the closed control, held until the person is done: stepping through
 * five options with the arrows is one change (one undo step), taken on Enter or on leaving the control; Esc takes
 * it back. A choice picked in the open list (a click, or Enter there) is taken at once. Pure: the panel feeds it the
 * control's events.
 */
export class HeldChoice {
  private moving = false;
  private held: string | null = null;

  /** A key pressed on the control (before its `change`). */
  keydown(key: string): void {
    this.moving = movesChoice(key);
  }

  /** The control's `change`: the value to take now, or null when it is held (a key moved it). */
  change(value: string): string | null {
    if (!this.moving) {
      this.held = null; // picked in the open list: that choice wins over one held before
      return value;
    }
    this.moving = false;
    this.held = value;
    return null;
  }

  /** Enter or leaving the control: the held value to take (once), or null when none is held. */
  take(): string | null {
    const v = this.held;
    this.held = null;
    this.moving = false;
    return v;
  }

  /** Esc: true when a held value was dropped (the control is to show the stored value again). */
  drop(): boolean {
    const had = this.held !== null;
    this.held = null;
    this.moving = false;
    return had;
  }
}

/** A value as a field shows it ("" when unset). */
export function fieldText(value: AttributeValue | null): string {
  return value === null ? '' : String(value);
}

const SUMMARY_MAX = 60;

/** The selected shape's values in a few words for its label on the canvas ("occluded · colour blue · speed 2"):
 * the set values of the attributes its class takes (a yes/no only when yes), cut to about 60 characters. */
export function attributeSummary(specs: readonly AttributeSpec[], a: Ann): string {
  const parts: string[] = [];
  for (const s of specs) {
    const v = a.attributes[s.name];
    if (v === null || v === undefined || v === false || v === '' || !appliesTo(s, a.label)) continue;
    parts.push(v === true ? s.name : `${s.name} ${String(v)}`);
  }
  const text = parts.join(' · ');
  return text.length <= SUMMARY_MAX ? text : `${text.slice(0, SUMMARY_MAX - 1)}…`;
}

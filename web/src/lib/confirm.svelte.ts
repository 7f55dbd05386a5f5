/**
 * Questions asked before something is done, in the app's own dialog (`components/ConfirmHost.svelte`, mounted once
 * in `App.svelte`) rather than the browser's `confirm()`: that one cannot be styled, is titled with the server's
 * address, cannot mark the dangerous button, and Chromium offers to stop the page's dialogs, after which it
 * answers "no" without asking.
 *
 * `ask()` resolves true when the person takes the action and false when they cancel (the Cancel button, Escape, a
 * click beside the dialog). One question shows at a time: asked while another is open, it waits its turn.
 */

/** A name to type before the action can be taken (GitHub's "type the repository name to confirm"). */
export interface TypedConfirmation {
  /** What the field must hold, exactly, for the action's button to be enabled ("Street scenes"). */
  expect: string;
  /** The field's label ("Project name"); the dialog says above it what to type. */
  label: string;
}

export interface Question {
  /** A few words, shown as the dialog's heading ("Delete webhook?"). */
  title: string;
  /** What happens, in a sentence or two. */
  message: string;
  /** The button that does it: a verb ("Delete webhook", "Merge tracks"). */
  confirm: string;
  /** The button that does not; "Cancel" unless said. */
  cancel?: string;
  /** Something that cannot be taken back: the button is red and the focus starts on Cancel, so that Enter does
   * not do it by accident. */
  danger?: boolean;
  /** A text field that must hold `typed.expect` before the action can be taken (the focus starts in it). */
  typed?: TypedConfirmation;
}

/** Something that asks a question: `ask` in the app, a stand-in in unit tests. */
export type Asker = (q: Question) => Promise<boolean>;

/** A question waiting for its answer. */
export interface Waiting extends Question {
  id: number;
}

/** The questions asked and not answered yet, the one shown first. */
export class Confirmations {
  #waiting: Waiting[] = $state.raw([]);
  #answers = new Map<number, (ok: boolean) => void>();
  #next = 1;

  /** The question on screen, or null. */
  get current(): Waiting | null {
    return this.#waiting[0] ?? null;
  }

  /** How many questions wait, the one on screen included. */
  get count(): number {
    return this.#waiting.length;
  }

  ask(q: Question): Promise<boolean> {
    const id = this.#next++;
    return new Promise<boolean>((resolve) => {
      this.#answers.set(id, resolve);
      this.#waiting = [...this.#waiting, { ...q, id }];
    });
  }

  /** Answers the question on screen, if it is still `id` (a late second answer does not answer the next one). */
  answer(id: number, ok: boolean): void {
    if (this.current?.id !== id) return;
    this.#waiting = this.#waiting.slice(1);
    const resolve = this.#answers.get(id);
    this.#answers.delete(id);
    resolve?.(ok);
  }
}

export const confirms = new Confirmations();

/** Ask `q` in the app's dialog; true when the person confirmed. */
export const ask: Asker = (q) => confirms.ask(q);

/** Where the focus goes when the dialog opens: the typed field when there is one; else Cancel for a dangerous
 * action, the action otherwise. */
export const startsOn = (q: Question): 'field' | 'cancel' | 'confirm' => (q.typed ? 'field' : q.danger ? 'cancel' : 'confirm');

/** Whether `text` lets the action be taken: always without a typed confirmation, else when it is the name exactly. */
export const typedMatches = (q: Question, text: string): boolean => !q.typed || text === q.typed.expect;

/**
 * What a key does in the dialog, whose `count` controls are in Tab order (the typed field if any, Cancel, the
 * action while it is enabled) and `at` has the focus (-1: none): Escape cancels; Tab and Shift+Tab go round the
 * controls, never out of the dialog (the index to focus); Enter in the typed field (`inField`) takes the action
 * when the field holds the name (`matches`), else does nothing. Null: the key does what it does anyway (Enter and
 * Space press the focused button, a letter goes into the field).
 */
export function dialogKey(
  key: string,
  shift: boolean,
  at: number,
  count: number,
  field: { inField: boolean; matches: boolean } = { inField: false, matches: false },
): 'cancel' | 'confirm' | 'nothing' | number | null {
  if (key === 'Escape') return 'cancel';
  if (key === 'Enter' && field.inField) return field.matches ? 'confirm' : 'nothing';
  if (key !== 'Tab' || count === 0) return null;
  if (at < 0) return shift ? count - 1 : 0;
  return (at + (shift ? count - 1 : 1)) % count;
}

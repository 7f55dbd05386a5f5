/**
 * Behaviour both editors share above the core: moving to another item once the work is saved, and the actions
 * whose meaning does not depend on what is edited (undo, save, proposals, items, help).
 */

import type { EditorCore } from './core';
import type { SharedAction } from './keys';
import { isProposal, nextProposal } from './proposals';

/** Moves to another item after saving; stays put (and says why) while a conflict or a failed save is open. */
export class ItemMover {
  /** True while a move waits for its save (the item buttons are off meanwhile). */
  leaving = $state(false);
  private readonly core: EditorCore;

  constructor(core: EditorCore) {
    this.core = core;
  }

  async go(to: (() => void) | undefined): Promise<void> {
    if (!to || this.leaving) return;
    this.leaving = true;
    try {
      await this.core.flush();
      if (this.core.saveStatus === 'conflict') return this.core.notify('Settle the conflict before moving on', 'warn');
      if (this.core.saveStatus === 'error') {
        return this.core.notify('Your changes are not saved yet; they are still here', 'error');
      }
      to();
    } finally {
      this.leaving = false;
    }
  }
}

export interface SharedView {
  /** Select an annotation and bring it into view. */
  pick: (key: string) => void;
  /** Bring the selected annotation into view. */
  reveal: () => void;
  move: (dir: 'next' | 'prev') => void;
  toggleHelp: () => void;
}

/** Runs an action both editors treat alike; false for those each editor does its own way (delete, escape). */
export function runShared(action: SharedAction, core: EditorCore, view: SharedView): boolean {
  switch (action) {
    case 'undo':
      core.undo();
      return true;
    case 'redo':
      core.redo();
      return true;
    case 'save':
      void core.flush();
      return true;
    case 'accept':
    case 'reject':
      core.decide(core.selectedKey, action === 'accept' ? 'accepted' : 'rejected');
      view.reveal();
      return true;
    case 'proposal.next':
    case 'proposal.prev': {
      const k = nextProposal(core.anns, core.selectedKey, action === 'proposal.next' ? 1 : -1);
      // A whole-item class proposal has no shape to step to: say how to decide it rather than "none open".
      const classOpen = core.anns.some((a) => isProposal(a) && a.kind === 'class');
      if (k === null) core.notify(classOpen ? "The open proposal is the item's class: A accepts it, X rejects it" : 'No open proposals');
      else view.pick(k);
      return true;
    }
    case 'item.next':
    case 'item.prev':
      view.move(action === 'item.next' ? 'next' : 'prev');
      return true;
    case 'help':
      view.toggleHelp();
      return true;
    case 'rejected.toggle':
      core.setShowRejected(!core.showRejected);
      return true;
    case 'delete':
    case 'escape':
      return false;
  }
}

/** Model proposal decisions, on top of the state core and saving: accept or reject one, accept all above a score,
 * accept all without one. */

import { count as countOf } from '../plural';
import { ConflictCore } from './core-conflict';
import { acceptAllAbove, acceptAllUnscored, isProposal, nextProposal, ownLabel, setState, topClassProposal } from './proposals';

export abstract class ProposalCore extends ConflictCore {
  // ---- proposals -----------------------------------------------------------------------------------------

  /**
   * Accept (`accepted`) or reject (`rejected`) a model proposal; moves the selection to the next proposal. With
   * no proposal selected it decides the item's best-scoring open class proposal (a text's or image's class has
   * nothing to select on the canvas). Without the reviewer role an accept makes the proposal the person's own
   * label (human, unscored, as the server records it) and a reject is refused.
   */
  decide(key: string | null, state: 'accepted' | 'rejected'): boolean {
    const a = key === null ? topClassProposal(this.anns) : this.get(key);
    if (!a || a.source !== 'model') {
      this.notify('Select a model proposal first', 'warn');
      return false;
    }
    if (!this.mayReview && state === 'rejected') {
      this.notify('Rejecting proposals needs the reviewer role: label the item yourself and leave it for a reviewer', 'warn');
      return false;
    }
    const nextKey = nextProposal(this.anns, a.key);
    // An annotator confirms only open proposals; one already accepted (by a reviewer or the band) stays as it is.
    const next = this.mayReview ? setState(this.anns, a.key, state) : isProposal(a) ? ownLabel(this.anns, a.key) : this.anns;
    const follow = nextKey !== a.key ? nextKey : null;
    const label = `${state === 'accepted' ? 'accept' : 'reject'} proposal`;
    const select = a.kind === 'class' ? this.selectedKey : follow;
    return this.commit(next, label, select);
  }

  acceptAbove(threshold = this.threshold): number {
    if (!this.mayReview) {
      this.notify('Accepting proposals needs the reviewer role', 'warn');
      return 0;
    }
    const { list, count } = acceptAllAbove(this.anns, threshold);
    if (count) this.commit(list, `accept ${countOf(count, 'proposal')}`);
    this.notify(
      count ? `Accepted ${countOf(count, 'proposal')} scoring ${threshold.toFixed(2)} or more` : 'No proposals above that score',
    );
    return count;
  }

  /** Accept every open proposal without a score (fill between slices gives none; so may a model). */
  acceptUnscored(): number {
    if (!this.mayReview) {
      this.notify('Accepting proposals needs the reviewer role', 'warn');
      return 0;
    }
    const { list, count } = acceptAllUnscored(this.anns);
    if (count) this.commit(list, `accept ${countOf(count, 'proposal')}`);
    this.notify(count ? `Accepted ${countOf(count, 'unscored proposal')}` : 'No unscored proposals');
    return count;
  }
}

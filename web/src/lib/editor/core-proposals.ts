/** Model proposal decisions, on top of the state core and saving: accept or reject one, accept all above a score. */

import { count as countOf } from '../plural';
import { SavingCore } from './core-save';
import { acceptAllAbove, nextProposal, setState } from './proposals';

export abstract class ProposalCore extends SavingCore {
  // ---- proposals -----------------------------------------------------------------------------------------

  /** Accept (`accepted`) or reject (`rejected`) a model proposal; moves the selection to the next proposal. */
  decide(key: string | null, state: 'accepted' | 'rejected'): boolean {
    const a = this.get(key);
    if (!a || a.source !== 'model') {
      this.notify('Select a model proposal first', 'warn');
      return false;
    }
    if (!this.mayReview) {
      this.notify('Accepting or rejecting proposals needs the reviewer role', 'warn');
      return false;
    }
    const nextKey = nextProposal(this.anns, a.key);
    const next = setState(this.anns, a.key, state);
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
}

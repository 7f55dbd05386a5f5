// The labelling queue on the item page (`?queue=label`): Next asks the server for the queue's next item
// (GET /queue/next, the active-learning order), Previous goes back to the item Next came from. The queue is
// not a fixed list (it re-ranks as labels and models change), so there is no position to show.

export const LABEL_QUEUE = "label";

/** The item page's path in labelling-queue mode. */
export function labelPath(projectId: number, itemId: number): string {
  return `/projects/${projectId}/items/${itemId}?queue=${LABEL_QUEUE}`;
}

/** Whether an item URL's query asks for the labelling queue. */
export function inLabelQueue(query: URLSearchParams): boolean {
  return query.get("queue") === LABEL_QUEUE;
}

/** Where each item was reached from by Next, per project: what Previous goes back to (for this tab's life). */
export class LabelTrail {
  private readonly from = new Map<string, number>();

  stepped(projectId: number, from: number, to: number): void {
    if (from !== to) this.from.set(`${projectId}:${to}`, from);
  }

  previous(projectId: number, itemId: number): number | null {
    return this.from.get(`${projectId}:${itemId}`) ?? null;
  }
}

export const labelTrail = new LabelTrail();

// What "Send to labelling" tells the person: the labelling queue offers only items without a label, so items
// that already have one (a person's, or a proposal the model's band accepted) get the priority but stay out.

import { count } from "../plural";

export function sendMessage(selected: number, queued: number): string {
  const rest = selected - queued;
  if (queued === 0) {
    return `${rest === 1 ? "This item already has" : `All ${count(rest, "item")} already have`} a label: the labelling queue offers only unlabelled items (review them instead)`;
  }
  const first = `${count(queued, "item")} sent to labelling: they come first in the queue`;
  return rest > 0 ? `${first}; ${count(rest, "other")} already ${rest === 1 ? "has" : "have"} a label` : first;
}

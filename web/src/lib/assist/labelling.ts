// Next in the labelling queue, for the item page: ask the server for the queue's item after the one on
// screen and go there, or back to the models page when nothing is left.

import { navigate } from "../router.svelte";
import { notify, reportError } from "../toasts.svelte";
import { queueNext } from "./api";
import { labelPath, labelTrail } from "./queue";

export async function nextInLabelQueue(projectId: number, itemId: number): Promise<void> {
  let next: number | null;
  try {
    next = (await queueNext(projectId, itemId)).item_id;
  } catch (err) {
    reportError(err, "Could not find the next item in the labelling queue");
    return;
  }
  if (next === null) {
    notify("info", "The labelling queue is empty", "Every item has a label.");
    navigate(`/projects/${projectId}/models`);
    return;
  }
  labelTrail.stepped(projectId, itemId, next);
  navigate(labelPath(projectId, next));
}

// The search results' selection is the project grid's (lib/gridSelection: click, shift+click, Space, ctrl/cmd+A,
// Esc), made under the search it was made in: another query, filter or space drops it; "Show more" keeps it.
// The results' actions act on the selection when there is one, on every result shown otherwise, and say which.

import { count } from "../plural";
import { PAGE, searchPath, type SearchState } from "./state";

/** The search a selection belongs to: the search's path without how many results are shown. */
export function selectionKey(s: SearchState): string {
  return searchPath(0, { ...s, k: PAGE });
}

/** What an action on the results acts on, for its label: "the 3 selected", else "the 40 results". */
export function actionTarget(selected: number, shown = 0): string {
  return selected > 0 ? `the ${selected.toLocaleString("en-US")} selected` : `the ${count(shown, "result")}`;
}

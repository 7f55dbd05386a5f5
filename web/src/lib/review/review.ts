// The review workflow's rules as the item page applies them: who may review, which items can be reviewed, the
// review keys, and the words shown for a decision. Pure functions (unit-tested); the calls live in api.ts.

import type { Item, ItemStatus, Member, Role } from "../api/client";
import type { HelpEntry } from "../editor/keys";
import { can } from "../roles";

/** Reviewers, managers, owners and administrators approve and reject items. */
export function mayReview(role: Role | null | undefined, isAdmin: boolean): boolean {
  return can(role, "review", isAdmin);
}

/** The statuses the server accepts a decision on (a decision can be changed). */
export const REVIEWABLE: readonly ItemStatus[] = ["labeled", "reviewed", "rejected"];

export function isReviewable(status: ItemStatus): boolean {
  return REVIEWABLE.includes(status);
}

export interface KeyLike {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
}

export type ReviewKey = "approve" | "reject";

/** Shift+A approves, Shift+R opens the rejection: the editors' own keys are plain A (accept a proposal) and R
 * (show rejected proposals), and the item page takes these first, so the two never mix. */
export function reviewKey(e: KeyLike): ReviewKey | null {
  if (!e.shiftKey || e.ctrlKey || e.metaKey || e.altKey) return null;
  const k = e.key.toLowerCase();
  if (k === "a") return "approve";
  if (k === "r") return "reject";
  return null;
}

export const REVIEW_KEYS: Record<ReviewKey, string> = { approve: "Shift+A", reject: "Shift+R" };

/** The review keys for the editors' shortcut sheet (`?`) on the item page, shown to those who review. */
export const REVIEW_SHORTCUTS: readonly HelpEntry[] = [
  { keys: [REVIEW_KEYS.approve], description: "Approve the item (saves first)", group: "Review" },
  { keys: [REVIEW_KEYS.reject], description: "Reject: return the item to its annotator with a comment", group: "Review" },
  { keys: ["Ctrl+Enter"], description: "Send the rejection (in the comment box)", group: "Review" },
  { keys: ["Esc"], description: "Close the comment box without rejecting", group: "Review" },
];

/** Ctrl+Enter (or Cmd+Enter) sends the rejection comment. */
export function isSubmitKey(e: Pick<KeyLike, "key" | "ctrlKey" | "metaKey">): boolean {
  return e.key === "Enter" && (e.ctrlKey || e.metaKey);
}

/** A user's name for people: "you", the member's username, or "user #7" when they are not a member. */
export function nameOf(userId: number | null | undefined, members: readonly Pick<Member, "user_id" | "username">[], me: number | null): string {
  if (userId == null) return "someone";
  if (userId === me) return "you";
  return members.find((m) => m.user_id === userId)?.username ?? `user #${userId}`;
}

/** The banner on a rejected item: who returned it and why. */
export function returnedText(
  item: Pick<Item, "reviewer_id" | "review_comment">,
  members: readonly Pick<Member, "user_id" | "username">[],
  me: number | null,
): { who: string; comment: string } {
  const who = nameOf(item.reviewer_id, members, me);
  return { who: who === "you" ? "you" : who, comment: item.review_comment?.trim() || "(no comment)" };
}

/** A rejection needs a comment; the server says so too (422, field "comment"). */
export function commentProblem(comment: string): string {
  return comment.trim() === "" ? "Say what to fix: the annotator reads this." : "";
}

/** What a decision did, for the confirmation; a rejected item nobody is recorded as labelling has no one to go to. */
export function decisionText(approve: boolean, name: string, hasAnnotator = true): string {
  if (approve) return `Approved ${name}`;
  return hasAnnotator ? `Returned ${name} to its annotator` : `Rejected ${name}: no annotator is recorded for it (the status filter "Rejected" lists it)`;
}

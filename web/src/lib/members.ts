// What the members section offers on each row, and the question asked before you change your own rights. The
// server decides (an owner's row needs the owner role); the page only leaves out what would be refused anyway.

import { tick } from "svelte";
import type { Role } from "./api/client";
import { can } from "./roles";

/** Who is looking at the members: their user id, whether they administer the server, and their project role. */
export interface Viewer {
  userId: number | null | undefined;
  isAdmin: boolean;
  role: Role | null | undefined;
}

export const OWNER_LOCKED = "Only an owner can change an owner's role or remove them.";

/** Why ``member``'s row cannot be changed by ``me`` (a title for the disabled select), or null when it can. */
export function memberLock(member: { role: Role }, me: Viewer): string | null {
  if (!can(me.role, "manage_members", me.isAdmin)) return "Managers and owners can change the members.";
  if (member.role === "owner" && !me.isAdmin && me.role !== "owner") return OWNER_LOCKED;
  return null;
}

const RANK: Record<Role, number> = { viewer: 0, annotator: 1, reviewer: 2, manager: 3, owner: 4 };

/** The confirmation to ask before ``me`` changes their own membership to ``next`` (null: leaving the project), or
 * null when nothing is lost (a promotion, or an administrator, who keeps every right anyway). */
export function selfChangeQuestion(me: Viewer, projectName: string, next: Role | null): string | null {
  if (me.isAdmin || me.role == null) return null;
  const lose = `You will lose ${me.role} rights in this project`;
  if (next === null) return `Leave ${projectName}? ${lose} and will no longer see it.`;
  if (RANK[next] >= RANK[me.role]) return null;
  const after = can(next, "manage_members") ? "" : ", and will no longer manage its members";
  return `Make yourself ${next} in ${projectName}? ${lose}${after}.`;
}

/** After the member rows are drawn anew (a change declined or refused), put the focus back on `userId`'s role
 * select (marked `data-role-of="<user id>"`): the one that had it went with the old rows, and the focus fell to
 * the page. Left alone when the focus is somewhere else by then, or the select is gone or disabled. */
export async function focusRoleOf(userId: number): Promise<void> {
  await tick();
  const lost = document.activeElement === null || document.activeElement === document.body;
  const select = document.querySelector<HTMLSelectElement>(`select[data-role-of="${userId}"]`);
  if (lost && select && !select.disabled) select.focus();
}

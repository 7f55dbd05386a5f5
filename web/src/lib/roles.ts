// What a role may do in a project: the same table as the server's domain/permissions.py. The UI hides what a
// role cannot do; the server refuses it anyway.

import type { Role } from "./api/client";

export type Action =
  | "read"
  | "annotate"
  | "review"
  | "import"
  | "export"
  | "manage_members"
  | "edit_project"
  | "delete_project"
  | "train_model"
  | "prelabel"
  | "embed"
  | "audit"
  | "assign"
  | "consensus";

const RANK: Record<Role, number> = { viewer: 0, annotator: 1, reviewer: 2, manager: 3, owner: 4 };

const MINIMUM: Record<Action, Role> = {
  read: "viewer",
  annotate: "annotator",
  review: "reviewer",
  import: "manager",
  export: "manager",
  manage_members: "manager",
  edit_project: "manager",
  delete_project: "owner",
  train_model: "manager",
  prelabel: "manager",
  embed: "manager",
  audit: "manager",
  assign: "manager",
  consensus: "manager",
};

export const ROLES: Role[] = ["viewer", "annotator", "reviewer", "manager", "owner"];

/** True when a member with ``role`` (null: not a member) may do ``action``; administrators may do anything. */
export function can(role: Role | null | undefined, action: Action, isAdmin = false): boolean {
  if (isAdmin) return true;
  return role != null && RANK[role] >= RANK[MINIMUM[action]];
}

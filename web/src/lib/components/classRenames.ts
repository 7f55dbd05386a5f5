// Which of a project's stored classes the settings page renamed, for PATCH /projects/{id}'s `renames`: the server
// then renames the class on every annotation that carries it (see docs/api.md).

/** Per class name now in the editor, the stored name of the class it was (only rows that began as a stored class). */
export type RenameLog = Readonly<Record<string, string>>;

/** One rename as the API takes it. */
export interface ClassRename {
  from: string;
  to: string;
}

/**
 * The log after a row's name went from `from` (its name when the person entered the field) to `to`, computed from
 * `base`, the log as it was then: each keystroke reports the whole rename so far, so typing "ped" through "pe" to
 * "pedestrian" logs one rename. A row renamed twice keeps the name it was stored under. A row whose name is no
 * stored class (a new one), or is a stored name another row has already left, renames nothing: it is new.
 */
export function followClassRename(base: RenameLog, stored: readonly string[], from: string, to: string): RenameLog {
  const [a, b] = [from.trim(), to.trim()];
  const out: Record<string, string> = { ...base };
  const origin = base[a] ?? (stored.includes(a) && !Object.values(base).includes(a) ? a : undefined);
  delete out[a];
  delete out[b]; // a row (since removed) that had this name no longer does
  if (origin !== undefined && b) out[b] = origin;
  return out;
}

/** The renames to send for the classes now in the editor: rows whose name differs from their stored one. */
export function renamesToSend(log: RenameLog, names: readonly string[]): ClassRename[] {
  const now = names.map((n) => n.trim());
  return Object.entries(log)
    .filter(([to, from]) => to !== from && now.includes(to))
    .map(([to, from]) => ({ from, to }));
}

/** The settings page's record of renamed classes: reset to the stored classes whenever the project is read. */
export class ClassRenames {
  private stored: string[] = [];
  private log: RenameLog = {};
  private base: RenameLog = {};

  /** Forget every rename: the project (with these stored class names) was read or saved. */
  reset(stored: readonly string[]): void {
    [this.stored, this.log, this.base] = [[...stored], {}, {}];
  }

  /** A row's name field was entered (LabelSchemaEditor's `onrenamestart`). */
  start(): void {
    this.base = this.log;
  }

  /** A row's name went from `from` to `to` since its field was entered (LabelSchemaEditor's `onrename`). */
  follow(from: string, to: string): void {
    this.log = followClassRename(this.base, this.stored, from, to);
  }

  /** The `renames` of PATCH /projects/{id} for the classes now in the editor. */
  toSend(names: readonly string[]): ClassRename[] {
    return renamesToSend(this.log, names);
  }
}

/**
 * A plain, immutable picture of what the panels show, rebuilt on every change of the core. The Svelte side
 * keeps one of these in `$state.raw`, so the annotation list itself never becomes a deep reactive proxy.
 */

import type { ConflictInfo, EditorCore, Notice, SaveStatus } from './core';
import { attributePanel, type AttributePanelModel } from './attribute-panel';
import { tagAttributePanel } from './tag-attributes';
import { sizeWords } from './keypoint-shapes';
import type { Conversion } from './mask-convert';
import { isProposal, proposalCounts, proposalsAbove, scoredCounts } from './proposals';
import { selectionSaid } from './say';
import type { Ann, LabelClass, Tool } from './types';

export interface ClassRow extends LabelClass {
  count: number;
  hidden: boolean;
  /** The key that picks it, when it does not clash with an editor shortcut. */
  key: string | null;
}

export interface TagChip {
  name: string;
  color: string;
  state: 'off' | 'on' | 'proposed';
  score: number | null;
  /** The model that gave the class (``name@version``) when it came from one, proposed or accepted. */
  model: string | null;
}

export interface SelectionInfo {
  key: string;
  kind: string;
  label: string | null;
  color: string;
  source: string;
  state: string;
  score: number | null;
  modelVersion: string | null;
  size: string;
  proposal: boolean;
  id: number | null;
}

export interface EditorUi {
  tool: Tool;
  currentLabel: string | null;
  classes: ClassRow[];
  tags: TagChip[];
  /** The primary selected shape (the last picked). */
  selection: SelectionInfo | null;
  /** How many shapes are selected (the primary among them). */
  selectedCount: number;
  /** The selection of several in words ("3 shapes selected: car 2, dog 1"); "" with one or none. */
  selectedSummary: string;
  /** Per label, how many selected shapes have it, most first. */
  selectedByLabel: [string, number][];
  /** The "Attributes" section for the selection; null when the project declares no attributes. */
  attributes: AttributePanelModel | null;
  /** The "Tag attributes" section for the whole-item class in focus; null when none standing takes attributes. */
  tagAttributes: AttributePanelModel | null;
  shapes: number;
  proposals: { proposed: number; accepted: number; rejected: number };
  threshold: number;
  aboveThreshold: number;
  /** Open proposals with a score (the threshold applies to them) and without one (fill between slices). */
  scored: number;
  unscored: number;
  showRejected: boolean;
  shapesHidden: boolean;
  saveStatus: SaveStatus;
  /** Annotations added, removed or changed since the server's copy (recomputed after every save and resolution). */
  unsaved: number;
  saveError: string | null;
  /** Why the last save failed, in words ("the server cannot be reached; retrying"); null when it did not. */
  saveReason: string | null;
  lastSavedAt: number | null;
  conflict: ConflictInfo | null;
  notice: Notice | null;
  canUndo: boolean;
  canRedo: boolean;
  undoLabel: string | null;
  redoLabel: string | null;
  version: number;
  readonly: boolean;
  mayReview: boolean;
  allowsBox: boolean;
  allowsPolygon: boolean;
  allowsMask: boolean;
  /** The brush's (and eraser's) diameter in image pixels. */
  brushSize: number;
  /** What the one selected shape converts to ("Convert to mask", "Convert to polygon"), or null. */
  conversion: Conversion | null;
  allowsTags: boolean;
  /** A box waits for the server's polygon ("Box → polygon"). */
  segmenting: boolean;
}

function describe(core: EditorCore, a: Ann): SelectionInfo {
  const size = sizeWords(a, core.classes);
  return {
    key: a.key,
    kind: a.kind,
    label: a.label,
    color: core.colorOf(a.label),
    source: a.source,
    state: a.state,
    score: a.score,
    modelVersion: a.model_version,
    size,
    proposal: isProposal(a),
    id: core.idOf(a.key),
  };
}

export function snapshot(core: EditorCore, hotkeys: ReadonlyMap<string, string>): EditorUi {
  const counts = core.labelCounts();
  const keyOf = new Map<string, string>();
  for (const [k, name] of hotkeys) keyOf.set(name, k);
  const tagsByLabel = new Map<string, Ann>();
  for (const a of core.anns) {
    if (a.kind !== 'class' || a.label === null || a.state === 'rejected') continue;
    const prev = tagsByLabel.get(a.label);
    if (!prev || (isProposal(prev) && !isProposal(a))) tagsByLabel.set(a.label, a);
  }
  let shapes = 0;
  for (const a of core.anns) if (a.kind !== 'class' && a.state !== 'rejected') shapes += 1;
  const sel = core.selected;
  const many = core.selectedKeys.size > 1;
  const byLabel = many ? core.selectionCounts() : [];
  return {
    tool: core.tool,
    currentLabel: core.currentLabel,
    classes: core.classes.map((c) => ({
      ...c,
      count: counts.get(c.name) ?? 0,
      hidden: core.hiddenLabels.has(c.name),
      key: keyOf.get(c.name) ?? null,
    })),
    tags: core.classes.map((c) => {
      const t = tagsByLabel.get(c.name);
      return {
        name: c.name,
        color: c.color,
        state: !t ? 'off' : isProposal(t) ? 'proposed' : 'on',
        score: t?.score ?? null,
        model: t?.source === 'model' ? (t.model_version ?? 'a model') : null,
      };
    }),
    selection: sel ? describe(core, sel) : null,
    selectedCount: core.selectedKeys.size,
    selectedSummary: many ? selectionSaid(byLabel) : '',
    selectedByLabel: byLabel,
    attributes: core.specs.length > 0 ? attributePanel(core.specs, core.selectedAnns) : null,
    tagAttributes: core.specs.length > 0 ? tagAttributePanel(core.specs, core.anns, core.focusedTag) : null,
    shapes,
    proposals: proposalCounts(core.anns),
    threshold: core.threshold,
    aboveThreshold: proposalsAbove(core.anns, core.threshold).length,
    ...scoredCounts(core.anns),
    showRejected: core.showRejected,
    shapesHidden: core.shapesHidden,
    saveStatus: core.saveStatus,
    unsaved: core.unsavedCount,
    saveError: core.saveError,
    saveReason: core.saveReason,
    lastSavedAt: core.lastSavedAt,
    conflict: core.conflict ? { ...core.conflict, merge: core.conflict.merge ? { ...core.conflict.merge } : null } : null,
    notice: core.notice,
    canUndo: core.history.canUndo,
    canRedo: core.history.canRedo,
    undoLabel: core.history.undoLabel,
    redoLabel: core.history.redoLabel,
    version: core.version,
    readonly: core.readonly,
    mayReview: core.mayReview,
    allowsBox: core.allows('box'),
    allowsPolygon: core.allows('polygon'),
    allowsMask: core.allows('mask'),
    brushSize: core.brushSize,
    conversion: core.conversion,
    allowsTags: core.allows('class'),
    segmenting: core.segmenting,
  };
}

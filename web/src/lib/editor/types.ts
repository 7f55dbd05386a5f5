/**
 * The editor's data shapes. They mirror the API's schemas (AnnotationPublic, AnnotationIn, the project's label
 * schema) but are declared here so the editor compiles and tests without the generated client.
 *
 * Geometry is in absolute image pixels, origin top-left: boxes `{bbox: [x1, y1, x2, y2]}` with x2 > x1 and
 * y2 > y1, polygons `{points: [x, y, x, y, ...]}`, masks COCO RLE `{size: [h, w], counts}` (`rle.ts`; see
 * src/labelhub/domain/geometry.py).
 */

import type { AttributeSpec } from '../attributes';
import type { HelpEntry } from './keys';

export type AnnotationKind = 'box' | 'polygon' | 'mask' | 'keypoints' | 'class' | 'span' | 'track_box';
export type Source = 'human' | 'model';
export type AnnotationState = 'proposed' | 'accepted' | 'rejected';
export type Role = 'viewer' | 'annotator' | 'reviewer' | 'manager' | 'owner';
/** The current user's standing in the project: a role, or `admin` (admins have no role but may do anything). */
export type Standing = Role | 'admin';

export interface Geometry {
  bbox?: number[];
  points?: number[];
  [key: string]: unknown;
}

/** An annotation as the API returns it (AnnotationPublic); fields the editor does not use are optional. */
export interface ApiAnnotation {
  id: number;
  kind: AnnotationKind;
  label: string | null;
  geometry: Geometry;
  frame?: number | null;
  track_id?: number | null;
  source: Source;
  model_version: string | null;
  score: number | null;
  state: AnnotationState;
  attributes?: Record<string, unknown>;
  version?: number;
  item_id?: number;
  author_id?: number | null;
  reviewed_by?: number | null;
  created_at?: string;
  updated_at?: string;
}

/** What a save sends per annotation (AnnotationIn): `id` null for a new one. */
export interface AnnotationInput {
  id: number | null;
  kind: AnnotationKind;
  label: string | null;
  geometry: Geometry;
  frame: number | null;
  track_id: number | null;
  source: Source;
  model_version: string | null;
  score: number | null;
  state: AnnotationState;
  attributes: Record<string, unknown>;
}

/**
 * An annotation inside the editor. `key` is local and stable for the editor's lifetime (undo, selection and
 * the spatial index use it). The server's id is not stored here but in the editor's key-to-id map, because a
 * save assigns ids while undo snapshots still hold the old objects. Objects are never mutated: every edit
 * makes a new object, so undo snapshots can share them.
 */
export interface Ann {
  readonly key: string;
  readonly kind: AnnotationKind;
  readonly label: string | null;
  readonly geometry: Geometry;
  readonly frame: number | null;
  readonly track_id: number | null;
  readonly source: Source;
  readonly model_version: string | null;
  readonly score: number | null;
  readonly state: AnnotationState;
  readonly attributes: Record<string, unknown>;
}

export interface LabelClass {
  name: string;
  color: string;
  hotkey?: string | null;
  /** The named points of its keypoints annotations, in order, and the edges between them (0-based). */
  keypoints?: string[];
  skeleton?: [number, number][];
}

/** The project's label schema as the API returns it in ProjectPublic.label_schema. */
export interface LabelSchema {
  classes: LabelClass[];
  kinds?: AnnotationKind[];
  /** The attributes annotations may carry (`readSpecs` of the API's `label_schema.attributes`). */
  attributes?: readonly AttributeSpec[];
}

export interface EditorItem {
  id: number;
  projectId: number;
  name?: string;
  width: number;
  height: number;
  /** Usually `/api/v1/projects/{pid}/items/{iid}/media`; null when no media is stored (a metadata-only import):
   * the editor then asks for none and draws the shapes on a blank image of the item's size. */
  mediaUrl: string | null;
  version: number;
}

export interface SavedState {
  version: number;
  annotations: ApiAnnotation[];
}

/** Saves the whole list; resolves with the new version and the stored annotations, or throws ConflictError on 409. */
export type SaveFn = (version: number, annotations: AnnotationInput[]) => Promise<SavedState>;
/** Reads the server's current copy (for the conflict panel). */
export type LoadFn = () => Promise<SavedState>;

/** Thrown by a SaveFn when the server answers 409: someone else saved the item since `version` was read. */
export class ConflictError extends Error {
  readonly currentVersion: number | null;
  constructor(message: string, currentVersion: number | null) {
    super(message);
    this.name = 'ConflictError';
    this.currentVersion = currentVersion;
  }
}

export function isConflict(err: unknown): err is ConflictError {
  return err instanceof ConflictError || (err instanceof Error && err.name === 'ConflictError');
}

/** `brush` and `eraser` paint masks (`mask-tool.ts`). */
export type Tool = 'select' | 'box' | 'polygon' | 'grabcut' | 'brush' | 'eraser' | 'keypoints';

/**
 * Box to polygon: the outline of the object inside `box` ([x1, y1, x2, y2] image pixels), as flat polygon points
 * `[x, y, x, y, ...]`. The app's is a call to the server's GrabCut route (`server.ts`); rejects with its error.
 */
export type SegmentFn = (box: [number, number, number, number]) => Promise<number[]>;

/** A box the "Box → polygon" tool refuses without asking the server (too small); `message` is the server's words. */
export class SegmentRefusal extends Error {
  readonly field = 'box';

  constructor(message: string) {
    super(message);
    this.name = 'SegmentRefusal';
  }
}

export interface Point {
  x: number;
  y: number;
}

/** An axis-aligned rectangle x1 <= x2, y1 <= y2. */
export interface Rect {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export type Handle = 'nw' | 'n' | 'ne' | 'e' | 'se' | 's' | 'sw' | 'w';
export const HANDLES: readonly Handle[] = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'];

export function canEdit(standing: Standing): boolean {
  return standing !== 'viewer';
}

/** Accepting or rejecting a model's proposal is review work: the server refuses it below reviewer. */
export function canReview(standing: Standing): boolean {
  return standing === 'reviewer' || standing === 'manager' || standing === 'owner' || standing === 'admin';
}

/** What both editors (image and text) are mounted with; each adds its own (`onready`, the text editor's text). */
export interface EditorProps {
  item: EditorItem;
  schema: LabelSchema;
  annotations: ApiAnnotation[];
  standing: Standing;
  save?: SaveFn;
  load?: LoadFn;
  /** Box to polygon (image editor only); the tool is off without it. */
  segment?: SegmentFn;
  /** Called (after the work is saved) to move on; the buttons and keys are off when absent. */
  onnext?: () => void;
  onprev?: () => void;
  /** Shown next to the item's name, e.g. "12 / 480". */
  position?: string;
  autosaveDelay?: number;
  /** More entries for the shortcut sheet (the item page's review keys). */
  extraShortcuts?: readonly HelpEntry[];
}

/** What an image's tags apply to, as the tag panel names it. */
export interface TagScope {
  title: string;
  meta: string;
}

/** Tags of an image: the whole image. */
export const IMAGE_TAGS: TagScope = { title: 'Image tags', meta: 'whole image' };

/**
 * Attributes a project declares for its annotations (label_schema.attributes), and what the editors need of
 * them: which apply to a label, the values a new shape starts with, and why a stored value is no value of its
 * attribute. The server runs the same checks (src/labelhub/domain/attributes.py) on every save; this copy lets
 * the editors say so before a save is refused.
 */

export type AttributeType = 'text' | 'number' | 'bool' | 'select';
export type AttributeValue = string | number | boolean;

export interface AttributeSpec {
  name: string;
  type: AttributeType;
  /** The choices of a select attribute, in display order. */
  options: string[];
  /** The classes it applies to; empty: every class. */
  labels: string[];
  /** What a new shape starts with; null: unset. */
  default: AttributeValue | null;
  /** Video tracks: the value changes over the frames (set from a frame on); absent or false: one per track. */
  mutable?: boolean;
}

export const ATTRIBUTE_TYPES: readonly AttributeType[] = ['text', 'number', 'bool', 'select'];
/** Names tracks and formats keep their own data under: the server refuses to declare them (and any name starting
 * `coco_` or `ls_`). */
export const RESERVED_ATTRIBUTES: readonly string[] = [
  'keyframe',
  'outside',
  'needs_review',
  'track_id',
  'iscrowd',
  'rotation',
  'z_order',
  'group_id',
];
export const RESERVED_PREFIXES: readonly string[] = ['coco_', 'ls_'];
export const MAX_TEXT_VALUE = 1000;
/** The largest whole number a browser holds exactly; the server refuses bigger ones. */
export const MAX_NUMBER = Number.MAX_SAFE_INTEGER;

/** Read the schema's declarations as the API sends them, filling what older schemas lack. */
export function readSpecs(raw: readonly Record<string, unknown>[] | undefined | null): AttributeSpec[] {
  return (raw ?? []).map((a) => ({
    name: String(a.name),
    type: (ATTRIBUTE_TYPES as readonly string[]).includes(String(a.type)) ? (a.type as AttributeType) : 'text',
    options: Array.isArray(a.options) ? a.options.map(String) : [],
    labels: Array.isArray(a.labels) ? a.labels.map(String) : [],
    default: (a.default ?? null) as AttributeValue | null,
    ...(a.mutable === true ? { mutable: true } : {}),
  }));
}

/** True when an annotation labelled `label` may carry `spec`. */
export function appliesTo(spec: AttributeSpec, label: string | null | undefined): boolean {
  return spec.labels.length === 0 || (label != null && spec.labels.includes(label));
}

/** The declarations that apply to `label`, in declaration order. */
export function specsFor(specs: readonly AttributeSpec[], label: string | null | undefined): AttributeSpec[] {
  return specs.filter((s) => appliesTo(s, label));
}

/** Why `value` is no value of `spec`, or null when it is one (null/undefined mean unset). */
export function valueProblem(spec: AttributeSpec, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  switch (spec.type) {
    case 'bool':
      return typeof value === 'boolean' ? null : `must be true or false, not ${show(value)}`;
    case 'number':
      if (typeof value !== 'number') return `must be a number, not ${show(value)}`;
      if (!Number.isFinite(value)) return `must be a finite number, not ${show(value)}`;
      return Math.abs(value) <= MAX_NUMBER ? null : `must be between -${MAX_NUMBER} and ${MAX_NUMBER}`;
    case 'select':
      if (typeof value !== 'string') return `must be text, not ${show(value)}`;
      return spec.options.includes(value) ? null : `${show(value)} is not one of ${spec.options.join(', ')}`;
    default:
      if (typeof value !== 'string') return `must be text, not ${show(value)}`;
      return value.length <= MAX_TEXT_VALUE ? null : `is longer than ${MAX_TEXT_VALUE} characters`;
  }
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value);
}

/** The attributes a new shape labelled `label` starts with: the defaults of the declarations that apply. */
export function defaultsFor(
  specs: readonly AttributeSpec[],
  label: string | null | undefined,
): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const s of specsFor(specs, label)) if (s.default !== null) out[s.name] = s.default;
  return out;
}

/**
 * The attributes after a shape's label changes from `before` to `after`: declared values the new label does not
 * take are dropped (the server would refuse them), the new label's defaults fill what is unset, and keys no
 * declaration names (format data such as `coco_id`, a track's `keyframe`) stay as they are.
 */
export function relabelled(
  specs: readonly AttributeSpec[],
  attributes: Readonly<Record<string, unknown>>,
  after: string | null | undefined,
): Record<string, unknown> {
  const declared = new Map(specs.map((s) => [s.name, s]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attributes)) {
    const spec = declared.get(k);
    if (!spec || appliesTo(spec, after)) out[k] = v;
  }
  for (const [k, v] of Object.entries(defaultsFor(specs, after))) if (!(k in out)) out[k] = v;
  return out;
}

/** The value several selected shapes share for `name`: `{ mixed: true }` when they differ. */
export function commonValue(
  values: readonly Readonly<Record<string, unknown>>[],
  name: string,
): { mixed: false; value: unknown } | { mixed: true } {
  if (values.length === 0) return { mixed: false, value: undefined };
  const first = values[0]![name];
  return values.every((v) => v[name] === first) ? { mixed: false, value: first } : { mixed: true };
}

/**
 * Class hotkeys that an editor would ignore. Each editor keeps some single keys for itself (`b` draws boxes in the
 * image editor, `f` steps a frame in the video editor, `a` accepts a proposal in the text editor), and a class
 * hotkey on one of them does not choose the class there: the editor's key wins (`labelHotkeys`, `videoHotkeys`,
 * `textHotkeys` leave it out). A project's items all open in one editor, chosen by the project's item kind: images
 * in the image editor, videos in the video editor, texts in the text editor, volumes in the volume editor (the
 * image editor's tools and keys on the slices; its own keys are not single characters, and `L`, which shows the
 * planes, is left to a class that takes it). The new-project wizard and the settings page say so beside the row:
 * which editor ignores the key, what the key does there, and free keys to take instead.
 *
 * Pure, tested without a browser (`labels.test.ts`).
 */

import type { ItemKind } from "./api/client";
import { actionFor, RESERVED_KEYS, type Action } from "./editor/keymap";
import type { KeyLike, SharedAction } from "./editor/keys";
import { TEXT_RESERVED, textActionFor, type TextAction } from "./text/keymap";
import { FRAME_STEP, VIDEO_RESERVED, videoActionFor, type VideoAction } from "./video/keymap";

/** What the keys the editors share do, as "the image editor's key for …" ends. */
const SHARED_DOES: Readonly<Record<SharedAction, string>> = {
  undo: "undo",
  redo: "redo",
  save: "saving",
  delete: "deleting",
  accept: "accepting a proposal",
  reject: "rejecting a proposal",
  "proposal.next": "the next proposal",
  "proposal.prev": "the previous proposal",
  escape: "cancelling",
  "item.next": "the next item",
  "item.prev": "the previous item",
  help: "the shortcut sheet",
  "rejected.toggle": "showing rejected proposals",
};

const IMAGE_DOES: Readonly<Record<Action, string>> = {
  ...SHARED_DOES,
  "tool.select": "the Select tool",
  "tool.box": "the Box tool",
  "tool.polygon": "the Polygon tool",
  "tool.grabcut": "the Box → polygon tool",
  "tool.brush": "the mask brush",
  "tool.eraser": "the mask eraser",
  "tool.keypoints": "the Keypoints tool",
  "keypoint.skip": "skipping a keypoint",
  "keypoint.visibility": "a keypoint's visibility",
  "zoom.in": "zooming in",
  "zoom.out": "zooming out",
  "zoom.fit": "fitting the image",
  "zoom.actual": "actual pixels",
  "shape.next": "the next shape",
  "shape.prev": "the previous shape",
  enter: "closing a polygon",
  "shapes.toggle": "hiding the shapes",
  "select.all": "selecting every shape",
  "clip.copy": "copying shapes",
  "clip.cut": "cutting shapes",
  "clip.paste": "pasting shapes",
  "convert.mask": "converting a shape to a mask",
  "convert.polygon": "converting a mask to polygons",
};

const TEXT_DOES: Readonly<Record<TextAction, string>> = {
  ...SHARED_DOES,
  "span.next": "the next span",
  "span.prev": "the previous span",
};

const VIDEO_DOES: Readonly<Record<VideoAction, string>> = {
  play: "playing and pausing",
  "speed.down": "playing slower",
  "speed.up": "playing faster",
  "frame.next": "the next frame",
  "frame.prev": "the previous frame",
  "frame.forward": `${FRAME_STEP} frames forward`,
  "frame.back": `${FRAME_STEP} frames back`,
  "frame.first": "the first frame",
  "frame.last": "the last frame",
  "suggest.next": "the next suggested frame",
  "suggest.prev": "the previous suggested frame",
  "suggest.top": "the top suggested frame",
  "keyframe.next": "the next keyframe",
  "keyframe.prev": "the previous keyframe",
  keyframe: "making a keyframe",
  outside: "marking a track outside",
  "track.split": "splitting a track",
  delete: "deleting",
  "track.next": "the next track",
  "track.prev": "the previous track",
  escape: "cancelling",
  "zoom.in": "zooming in",
  "zoom.out": "zooming out",
  "zoom.fit": "fitting the frame",
  "zoom.actual": "actual pixels",
  undo: "undo",
  redo: "redo",
  save: "saving",
  help: "the shortcut sheet",
  "item.next": "the next item",
  "item.prev": "the previous item",
  "track.hide": "hiding the selected track",
  "tracks.hide": "hiding every track",
  "track.lock": "locking a track",
  "tracks.find": "finding a track",
};

/** An editor's own single keys, and what one of them does there. */
interface EditorKeys {
  name: string;
  reserved: ReadonlySet<string>;
  does: (key: string) => string;
}

/** A key pressed alone, as the editors read it. */
const plain = (key: string): KeyLike => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false });

function keys<A extends string>(name: string, reserved: ReadonlySet<string>, action: (e: KeyLike) => A | null, words: Readonly<Record<A, string>>): EditorKeys {
  return {
    name,
    reserved,
    does: (key) => {
      const a = action(plain(key));
      return a ? words[a] : "one of its own actions";
    },
  };
}

const IMAGE_EDITOR = keys("image editor", RESERVED_KEYS, actionFor, IMAGE_DOES);

/** The keys of the editor each item kind opens in. */
const EDITOR_OF: Readonly<Record<ItemKind, EditorKeys>> = {
  image: IMAGE_EDITOR,
  volume: { ...IMAGE_EDITOR, name: "volume editor" },
  video: keys("video editor", VIDEO_RESERVED, videoActionFor, VIDEO_DOES),
  text: keys("text editor", TEXT_RESERVED, textActionFor, TEXT_DOES),
};

/** The keys offered instead, in this order: digits first, as the wizard gives them. */
const CANDIDATES = "123456789abcdefghijklmnopqrstuvwxyz";

/** Up to three keys the editor of `kind` leaves to classes and no class in `taken` has: two digits and a letter where there are. */
export function freeHotkeys(kind: ItemKind, taken: Iterable<string>): string[] {
  const used = new Set([...taken].map((k) => k.toLowerCase()));
  const free = [...CANDIDATES].filter((k) => !EDITOR_OF[kind].reserved.has(k) && !used.has(k));
  const digits = free.filter((k) => /\d/.test(k)).slice(0, 2);
  const letters = free.filter((k) => !/\d/.test(k));
  return [...digits, ...letters].slice(0, 3);
}

const orList = (xs: readonly string[]): string =>
  xs.length <= 1 ? (xs[0] ?? "") : `${xs.slice(0, -1).join(", ")} or ${xs.at(-1) ?? ""}`;

/**
 * Why a class hotkey `key` does not work in the editor the project's items (`kind`) open in, with free keys to
 * take instead (none of `taken`, the other classes' hotkeys); null when it works there.
 */
export function hotkeyClash(key: string, kind: ItemKind, taken: Iterable<string> = []): string | null {
  const k = key.toLowerCase();
  const editor = EDITOR_OF[kind];
  if (k.length !== 1 || !editor.reserved.has(k)) return null;
  const free = freeHotkeys(kind, taken);
  const instead = free.length ? `take a free key such as ${orList(free)}` : "clear the hotkey";
  const shown = k === " " ? "Space" : k;
  return `${shown} is the ${editor.name}'s key for ${editor.does(k)}, so it would not choose this class there; ${instead}.`;
}

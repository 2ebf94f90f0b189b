/**
 * The plan the prompt interpreter hands to the built-in engine: what to do, with which parameters,
 * and which part of the prompt asked for it. docs/prompts.md explains every kind to API users.
 */

/** [start, end) character offsets into the prompt, in UTF-16 code units (JavaScript string indices). */
export type Span = [start: number, end: number];

/**
 * Edits whose strength is a signed `amount`. The engine multiplies every amount by scale/0.5, so scale 0
 * leaves the image unchanged, 0.5 gives the nominal edit and 1 doubles it (the engine clamps to what
 * still looks like a photo). Units:
 * - exposure: stops (EV); the nominal edit ("increase the exposure") is ±0.5.
 * - grayscale, sepia, vintage: the fraction of the effect, 1 = full effect (nominal); the engine clamps
 *   the scaled amount to 1.
 * - everything else: steps, ±1 = the nominal edit ("brighter", "more contrast", "warmer"). One step is a
 *   15 % change of the quantity (15 points on the usual ±100 slider), so "20 % brighter" is 1.333.
 *   Signs: brightness + brighter; contrast + more; saturation + more; warmth + warmer (yellow), − cooler
 *   (blue); tint + magenta, − green; vignette + darker edges, − lighter edges. sharpen, soften and
 *   denoise are never negative ("less sharp" becomes soften, "less blurry" sharpen).
 */
export type ToneKind =
  | 'brightness'
  | 'exposure'
  | 'contrast'
  | 'saturation'
  | 'warmth'
  | 'tint'
  | 'grayscale'
  | 'sepia'
  | 'vintage'
  | 'sharpen'
  | 'soften'
  | 'denoise'
  | 'vignette';

export interface AmountParams {
  amount: number;
}

/** Where a placed subject or added text goes in the scene. */
export type Position =
  | 'left'
  | 'right'
  | 'center'
  | 'front'
  | 'background'
  | 'top'
  | 'bottom'
  | 'top-left'
  | 'top-right'
  | 'bottom-left'
  | 'bottom-right';

/** A placement relative to something the prompt names in the scene ("on the boat", "next to the tree"). */
export interface Anchor {
  relation: 'on' | 'in' | 'beside' | 'behind' | 'in_front_of' | 'under' | 'above';
  /** The scene object as the prompt words it, e.g. "the boat"; a hint, the engine finds no named objects. */
  object: string;
}

/** A colour as lowercase `#rrggbb`. */
export type HexColour = `#${string}`;

type ToneParamsByKind = { [K in ToneKind]: AmountParams };

/** The parameters of each edit kind. Image indices are 0-based positions in `image_urls`. */
export interface EditParams extends ToneParamsByKind {
  /** Degrees clockwise, in (−180, 180]. Not scaled. */
  rotate: { degrees: number };
  /** horizontal = left↔right (a mirror image); vertical = top↔bottom. */
  flip: { direction: 'horizontal' | 'vertical' };
  /** > 1 zooms in (crops the centre and enlarges), < 1 zooms out (extends the canvas). Not scaled. */
  zoom: { factor: number };
  /**
   * Crop around the subject's mask. `margin` is the space kept around the subject's box, as a fraction
   * of the box size (0.1 nominal, 0.03 "tight", 0.25 "loose"). `subject` is the prompt's word for it.
   */
  crop_subject: { margin: number; subject?: string };
  /** Cut the subject out: alpha (`transparent`, a PNG) or a flat colour. All colour backgrounds land here. */
  remove_background: { fill: 'transparent' | HexColour };
  /** Keep the scene's subject where it is and put another reference image behind it. */
  replace_background: { source: { image: number } };
  /** Portrait mode: blur what is not the subject. `amount` in steps, 1 nominal, scaled like a tone edit. */
  blur_background: AmountParams;
  /** The prompt chose which reference is the scene; `Plan.scene` carries the result. */
  scene: { image: number };
  /**
   * Multi-reference fusion: cut the subject of reference `source` out and put it into the scene
   * (`into` always equals `Plan.scene`). `size` multiplies the engine's plausible size (1 = as chosen);
   * `position` absent means the engine's default layout (side by side on the lower part of the scene).
   */
  place: {
    source: number;
    into: number;
    size: number;
    position?: Position;
    anchor?: Anchor;
    /** The prompt's words for the subject ("the cat", "a beautiful girl"); the engine segments the
     * most salient object, so this is descriptive only. */
    subject?: string;
  };
  /**
   * Replace text found by OCR. `case`: 'as_written' sets `to` exactly as given; 'match_original' (the
   * prompt gave both words in lowercase) copies the case pattern of the text found (SALE → DEAL,
   * Sale → Deal).
   */
  replace_text: { from: string; to: string; case: 'as_written' | 'match_original' };
  /** Erase text found by OCR; `text` null means all text. */
  remove_text: { text: string | null };
  add_text: { text: string; position: 'top' | 'bottom' | 'center' };
}

export type EditKind = keyof EditParams;

/** An edit without its provenance. */
export type EditBody<K extends EditKind = EditKind> = K extends EditKind
  ? { kind: K; params: EditParams[K] }
  : never;

/**
 * One edit of the plan. `span` and `text` say which part of the prompt asked for it; they are absent
 * only on the placements the interpreter adds by default (references the prompt never mentions).
 */
export type Edit<K extends EditKind = EditKind> = K extends EditKind
  ? { kind: K; params: EditParams[K]; span?: Span; text?: string }
  : never;

/**
 * Why part of the prompt was not used (see `describeUnused` for the user-facing sentence):
 * - generative: it asks for new content (a smile, a hat, a painting style) that needs a generative model.
 * - description: it describes a scene but the request has a single reference, so there is nothing to fuse.
 * - negation: it says what not to do ("don't make it darker", "not too bright").
 * - region: a whole-image adjustment aimed at one part ("make the sky bluer", "brighten her face").
 * - unsupported: a known edit the built-in engine does not do (straightening, adding grain, …).
 * - size: the output size comes from the `width×height` parameter, not from the prompt.
 * - unknown_image: it names a reference that was not given ("image 3" with two images).
 * - count_limited: more images were asked for than force_single or the 15 − inputs rule allow.
 * - conflict: it contradicts an earlier instruction (a second scene).
 * - nothing_to_do: it asks to keep something as it is.
 * - unrecognised: nothing above; the interpreter did not understand it.
 */
export type UnusedReason =
  | 'generative'
  | 'description'
  | 'negation'
  | 'region'
  | 'unsupported'
  | 'size'
  | 'unknown_image'
  | 'count_limited'
  | 'conflict'
  | 'nothing_to_do'
  | 'unrecognised';

export interface Unused {
  span: Span;
  text: string;
  reason: UnusedReason;
  /** Specifics for the message, e.g. "there is no image 3" or "the sky". */
  detail?: string;
}

export interface Plan {
  /** In prompt order; default placements (no span) come last. */
  edits: Edit[];
  /** Images to produce: 1 unless the prompt asks for a set and force_single is off; at most 15 − inputs. */
  count: number;
  /** 0-based index of the reference the others are placed into (the only one when there is one). */
  scene: number;
  /**
   * True when the prompt names no reference by number for a role (no scene chosen, no "from image 2")
   * and there are placements: which picture is the scene is then the engine's to decide from the
   * pictures themselves, `scene` and the placements' sources being only the order of the images.
   */
  rolesOpen?: boolean;
  /** Every part of the prompt that was not used, in prompt order. */
  unused: Unused[];
  /** The set the prompt asked for, before force_single and the cap; absent when it asked for none. */
  countRequest?: { count: number; span: Span; text: string };
}

export interface InterpretOptions {
  /** Number of reference images (`image_urls.length`). */
  imageCount: number;
  forceSingle: boolean;
  /** Inputs counted against the upstream limit of 15 images in and out; defaults to imageCount. */
  inputCount?: number;
}

/**
 * How each surface's sizes become the model's. The model lists 11 sizes (1K square; five ratios at
 * 2K and at 4K, all landscape or square). A surface size that is one of them is that choice; any
 * other exact size (a portrait ratio, fal's presets, OpenAI's 1536x1024) is made at exactly that
 * size through the engine's fit, and "match the input" sizes are decided by the worker from the
 * first image (see models/output-size.ts). docs/surfaces.md has the table; test/surfaces/sizes.test.ts
 * checks that the table and this module agree.
 */
import { parseSize, SIZES, type SizeChoice } from '../../../models/dreamina-4-0-edit.js';
import { aspectDistance, formatOutputSize, outputSizeProblem, type Size } from '../../../models/output-size.js';

export interface SizeMapping {
  /** One of the model's 11 sizes: the size itself when listed, otherwise the nearest (for the library's form). */
  choice: SizeChoice;
  /** When the size is not one of the 11, or depends on the input image: the stored `output_size`. */
  outputSize?: string;
}

export type Tier = '1K' | '2K' | '4K';

/** Width:height of every ratio a surface names; portrait ones are the landscape sizes turned. */
export const RATIOS = ['1:1', '4:3', '3:4', '3:2', '2:3', '16:9', '9:16', '21:9', '9:21'] as const;
export type Ratio = (typeof RATIOS)[number];

const LANDSCAPE: Record<Ratio, Ratio> = { '1:1': '1:1', '4:3': '4:3', '3:4': '4:3', '3:2': '3:2', '2:3': '3:2', '16:9': '16:9', '9:16': '16:9', '21:9': '21:9', '9:21': '21:9' };

const listed = SIZES.map((choice) => ({ choice, ...parseSize(choice), ratio: /\((.+)\)$/.exec(choice)![1] as Ratio }));

function listedAt(tier: '2K' | '4K', ratio: Ratio): Size {
  const wanted = tier === '2K' ? (s: Size) => s.width * s.height < 9e6 && s.width !== 1024 : (s: Size) => s.width * s.height >= 9e6;
  const found = listed.find((s) => s.ratio === ratio && wanted(s));
  if (!found) throw new Error(`no listed ${tier} size for ${ratio}`);
  return { width: found.width, height: found.height };
}

/**
 * The size of a ratio at a tier. 2K and 4K are the model's listed sizes (turned for portrait
 * ratios); 1K is the listed 1024x1024, and half the 2K size for the other ratios.
 */
export function tierSize(tier: Tier, ratio: Ratio): Size {
  const landscape = LANDSCAPE[ratio];
  let size: Size;
  if (tier === '1K') {
    const two = listedAt('2K', landscape);
    size = landscape === '1:1' ? { width: 1024, height: 1024 } : { width: two.width / 2, height: two.height / 2 };
  } else {
    size = listedAt(tier, landscape);
  }
  return ratio === landscape ? size : { width: size.height, height: size.width };
}

/** Every size of a tier, square first: what "match the input image" chooses from. */
export function tierSizes(tier: Tier): Size[] {
  return RATIOS.map((r) => tierSize(tier, r));
}

export function listedChoice(size: Size): SizeChoice | undefined {
  return listed.find((s) => s.width === size.width && s.height === size.height)?.choice;
}

/** The listed size nearest in aspect ratio, then in area. */
export function nearestChoice(size: Size): SizeChoice {
  const area = (s: Size) => Math.abs(Math.log((s.width * s.height) / (size.width * size.height)));
  let best = listed[0]!;
  for (const s of listed) {
    const d = aspectDistance(s, size) - aspectDistance(best, size);
    if (d < -1e-9 || (Math.abs(d) <= 1e-9 && area(s) < area(best))) best = s;
  }
  return best.choice;
}

/** Exactly this size: the listed choice, or the nearest choice plus the exact `output_size`. */
export function exactSize(size: Size): SizeMapping {
  const choice = listedChoice(size);
  return choice ? { choice } : { choice: nearestChoice(size), outputSize: formatOutputSize([size]) };
}

/** The candidate nearest the first input image's aspect ratio, decided when the worker has read it. */
export function matchFirstImage(candidates: readonly Size[]): SizeMapping {
  return { choice: nearestChoice(candidates[0]!), outputSize: formatOutputSize(candidates) };
}

export type Mapped = SizeMapping | { problem: string };

// ---- Replicate (bytedance/seedream-4): size 1K|2K|4K|custom, aspect_ratio, width/height ----

export interface ReplicateSizeInput {
  size?: string | undefined;
  aspect_ratio?: string | undefined;
  width?: number | undefined;
  height?: number | undefined;
}

export function replicateSize(input: ReplicateSizeInput): SizeMapping {
  const size = input.size ?? '2K';
  if (size === 'custom') return exactSize({ width: input.width ?? 2048, height: input.height ?? 2048 });
  const ratio = input.aspect_ratio ?? 'match_input_image';
  if (ratio === 'match_input_image') return matchFirstImage(tierSizes(size as Tier));
  return exactSize(tierSize(size as Tier, ratio as Ratio));
}

// ---- fal (fal-ai/bytedance/seedream/v4/edit): image_size presets or {width, height} ----

/** fal's presets, before the edit endpoint's minimum area is applied. */
export const FAL_PRESETS: Record<string, Size> = {
  square_hd: { width: 1024, height: 1024 },
  square: { width: 512, height: 512 },
  portrait_4_3: { width: 768, height: 1024 },
  portrait_16_9: { width: 576, height: 1024 },
  landscape_4_3: { width: 1024, height: 768 },
  landscape_16_9: { width: 1024, height: 576 },
};

/** fal documents for Seedream 4 edit: "The minimum total image area is 921600 pixels", scaled up keeping the aspect ratio. */
export const FAL_MIN_AREA = 921_600;

export function falFloor(size: Size): Size {
  if (size.width * size.height >= FAL_MIN_AREA) return size;
  const k = Math.sqrt(FAL_MIN_AREA / (size.width * size.height));
  return { width: Math.ceil(size.width * k - 1e-9), height: Math.ceil(size.height * k - 1e-9) };
}

export function falImageSize(imageSize: string | Size | undefined): Mapped {
  if (imageSize === undefined || imageSize === 'auto' || imageSize === 'auto_2K') return matchFirstImage(tierSizes('2K'));
  if (imageSize === 'auto_4K') return matchFirstImage(tierSizes('4K'));
  const size = typeof imageSize === 'string' ? FAL_PRESETS[imageSize] : imageSize;
  if (!size) return { problem: `unknown image_size ${JSON.stringify(String(imageSize).slice(0, 40))}` };
  const floored = falFloor(size);
  const problem = outputSizeProblem(floored);
  return problem ? { problem } : exactSize(floored);
}

// ---- OpenAI images.edit: size auto | WIDTHxHEIGHT ----

/** What `auto` chooses from, as OpenAI's GPT image models do. */
export const OPENAI_AUTO: readonly Size[] = [
  { width: 1024, height: 1024 },
  { width: 1536, height: 1024 },
  { width: 1024, height: 1536 },
];

export function openaiSize(size: string | undefined): Mapped {
  if (size === undefined || size === 'auto') return matchFirstImage(OPENAI_AUTO);
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (!m) return { problem: `must be auto or WIDTHxHEIGHT, e.g. 1024x1024 (got ${JSON.stringify(size.slice(0, 20))})` };
  const exact = { width: Number(m[1]), height: Number(m[2]) };
  const problem = outputSizeProblem(exact);
  return problem ? { problem } : exactSize(exact);
}

/**
 * `bytedance/dreamina-4-0/edit`, exactly as the hosted service documents it (seeds/000_…txt):
 * the same property names (note `width×height`, with U+00D7), limits, defaults, titles and
 * descriptions, and the seed's `validations` list, which the fetcher enforces on each image.
 */
import { Type, type Static } from 'typebox';
import type { ModelDefinition, ImageRules } from './types.js';
import { OUTPUT_SIZE_KEY, resolveOutputSize } from './output-size.js';

export const SIZE_KEY = 'width×height';

export const SIZES = [
  '1024x1024(1:1)',
  '2048x2048(1:1)',
  '2304x1728(4:3)',
  '2496x1664(3:2)',
  '2560x1440(16:9)',
  '3024x1296(21:9)',
  '4096x4096(1:1)',
  '4694x3520(4:3)',
  '4992x3328(3:2)',
  '5404x3040(16:9)',
  '6198x2656(21:9)',
] as const;

export type SizeChoice = (typeof SIZES)[number];

export function parseSize(size: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)\(/.exec(size);
  if (!m) throw new Error(`Not a size choice: ${size}`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

export const IMAGE_RULES: ImageRules = {
  maxBytes: 15 * 1024 * 1024,
  maxSide: 4096,
  minAspect: 1 / 3,
  maxAspect: 3,
};

export const MESSAGES = {
  fileSize: 'Each image file must be ≤ 15 MB.',
  resolution: 'Maximum resolution is 4096x4096.',
  aspect: 'The input image aspect ratio must be within [1/3, 3].',
  formats: 'Only JPEG and PNG formats are supported.',
} as const;

const DEFAULT_IMAGES = [
  'https://playgrounds-storage-public.runcomfy.net/tools/7002/media-files/usecase5-1-1-input.jpg',
  'https://playgrounds-storage-public.runcomfy.net/tools/7002/media-files/usecase5-1-2-input.jpg',
];

export const DreaminaEditInput = Type.Object(
  {
    image_urls: Type.Array(Type.String({ format: 'image_uri' }), {
      title: 'Images',
      description:
        'Only JPEG and PNG formats are supported; JPEG is recommended. Supports 1–10 images; larger or more images increase processing time. Recommended to use no more than 6 images; too many reference images may reduce quality.',
      minItems: 1,
      maxItems: 10,
      default: DEFAULT_IMAGES,
      validations: [
        { validation_rule: 'file_size_mb<=', validation_value: 15, validation_error: MESSAGES.fileSize },
        { validation_rule: 'width_pixels<=', validation_value: 4096, validation_error: MESSAGES.resolution },
        { validation_rule: 'height_pixels<=', validation_value: 4096, validation_error: MESSAGES.resolution },
        { validation_rule: 'width/height≥', validation_value: '0.33', validation_error: MESSAGES.aspect },
        { validation_rule: 'width/height≤', validation_value: '3', validation_error: MESSAGES.aspect },
      ],
    }),
    prompt: Type.String({
      title: 'prompt',
      description: '',
      maxLength: 800,
      default: 'A beautiful girl is sitting on the boat',
    }),
    [SIZE_KEY]: Type.Optional(
      Type.Enum([...SIZES], { type: 'string', title: 'Aspect Ratio (W:H)', description: '', default: '2048x2048(1:1)' }),
    ),
    scale: Type.Optional(
      Type.Number({
        title: 'Scale',
        description:
          'Controls how strongly the text prompt influences the result relative to input images. Higher values increase text influence.',
        minimum: 0,
        maximum: 1,
        default: 0.5,
      }),
    ),
    force_single: Type.Optional(
      Type.Boolean({
        title: 'Force Single Image',
        description:
          'Whether to force generation of a single image. More images per set increase latency; for stability, specify group count/resolution or pass width and height.',
        default: false,
      }),
    ),
  },
  { title: 'Input schema', required: ['image_urls', 'prompt'] },
);

export type DreaminaEditInput = Static<typeof DreaminaEditInput>;

export const dreaminaEdit: ModelDefinition<DreaminaEditInput> = {
  id: 'bytedance/dreamina-4-0/edit',
  title: 'Dreamina 4.0 Edit',
  categories: ['image-to-image'],
  summary:
    'Produce 4K edits with structure-aware adjustments, multi-reference fusion, accurate text replacement, and controlled prompt influence.',
  input: DreaminaEditInput,
  imageRules: IMAGE_RULES,
  imageUrls: (input) => input.image_urls,
  toEditRequest(input, images) {
    // A surface's translation may ask for a size the schema does not list (see output-size.ts).
    const exact = (input as Record<string, unknown>)[OUTPUT_SIZE_KEY];
    const { width, height } = typeof exact === 'string' ? resolveOutputSize(exact, images) : parseSize(input[SIZE_KEY] ?? '2048x2048(1:1)');
    return {
      images,
      prompt: input.prompt,
      width,
      height,
      scale: input.scale ?? 0.5,
      forceSingle: input.force_single ?? false,
    };
  },
};

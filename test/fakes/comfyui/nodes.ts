/**
 * The node types the fake ComfyUI knows, with ComfyUI's own input specs (nodes.py, comfy_extras/):
 * the weightless image nodes run for real with sharp; the model nodes (loaders, encoders, samplers)
 * are defined so that graphs using them validate exactly as on a real server, and fail at run time
 * with a plain error, since the fake has no weights.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { blendPixel, decode, paste, png, scale, solid, UPSCALE_METHODS, type Frame, type Image } from './images.js';

export const MAX_RESOLUTION = 16384;

/** `["INT", {min, max}]`, `["IMAGE"]`, `[["a", "b"], {}]` (a combo), or `["COMBO", {options}]` (V3 nodes). */
export type InputSpec = readonly [string | readonly string[], Record<string, unknown>?];

export interface InputTypes {
  required: Record<string, InputSpec>;
  optional?: Record<string, InputSpec>;
  hidden?: Record<string, string>;
}

/** What a node may ask of the server: its folders, model files and the socket of the prompt's client. */
export interface NodeEnv {
  inputDir: string;
  outputDir: string;
  tempDir: string;
  models: Record<string, string[]>;
}

export interface RunContext {
  env: NodeEnv;
  nodeId: string;
  /** The graph, written into saved PNGs as ComfyUI does. */
  prompt: unknown;
  extraPngInfo?: Record<string, unknown> | undefined;
  /** A binary TEXT frame (type 3) to the prompt's client, as send_progress_text does. */
  sendText(text: string): void;
}

export interface SavedImage {
  filename: string;
  subfolder: string;
  type: 'output' | 'temp';
}

export interface NodeResult {
  outputs: unknown[];
  ui?: { images: SavedImage[] };
}

export interface NodeClass {
  name: string;
  display_name: string;
  category: string;
  description: string;
  python_module: string;
  input(env: NodeEnv): InputTypes;
  output: string[];
  output_name?: string[];
  output_node?: boolean;
  /** VALIDATE_INPUTS: true, or the reason the inputs it takes are refused. */
  validate?: { inputs: string[]; check(values: Record<string, unknown>, env: NodeEnv): true | string };
  /** IS_CHANGED: part of the cache signature. */
  changed?(values: Record<string, unknown>, env: NodeEnv): string;
  run(values: Record<string, any>, ctx: RunContext): Promise<NodeResult>;
}

const INT = (def: number, min: number, max: number, extra: Record<string, unknown> = {}): InputSpec => ['INT', { default: def, min, max, step: 1, ...extra }];
const FLOAT = (def: number, min: number, max: number, step = 0.01): InputSpec => ['FLOAT', { default: def, min, max, step }];
const combo = (options: readonly string[], extra: Record<string, unknown> = {}): InputSpec => [options, extra];
/** V3 nodes list their combos this way in /object_info. */
const comboV3 = (options: readonly string[], def: string): InputSpec => ['COMBO', { default: def, options }];
const IMAGE: InputSpec = ['IMAGE'];

/** Node types that need model weights cannot run here; a real server would load them. */
function needsWeights(name: string): NodeClass['run'] {
  return async () => {
    throw Object.assign(new Error(`this fake ComfyUI has no model weights, so ${name} cannot run`), { type: 'RuntimeError' });
  };
}

function files(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/** folder_paths.get_annotated_filepath: "name [output]" picks the folder, default input. */
export function annotatedPath(name: string, env: NodeEnv): string | undefined {
  const m = /^(.*) \[(input|output|temp)\]$/.exec(name);
  const base = m ? { input: env.inputDir, output: env.outputDir, temp: env.tempDir }[m[2] as 'input'] : env.inputDir;
  const file = path.resolve(base, m ? m[1]! : name);
  if (!file.startsWith(path.resolve(base) + path.sep)) return undefined;
  return file;
}

async function map(image: Image, fn: (f: Frame) => Promise<Frame> | Frame): Promise<Image> {
  return Promise.all(image.map(fn));
}

/** folder_paths.get_save_image_path, then one PNG per batch element (nodes.py SaveImage.save_images). */
async function saveImages(images: Image, prefix: string, type: 'output' | 'temp', ctx: RunContext): Promise<SavedImage[]> {
  const root = type === 'output' ? ctx.env.outputDir : ctx.env.tempDir;
  const subfolder = path.dirname(prefix) === '.' ? '' : path.dirname(prefix);
  const filename = path.basename(prefix);
  const folder = path.resolve(root, subfolder);
  if (folder !== path.resolve(root) && !folder.startsWith(path.resolve(root) + path.sep)) {
    throw Object.assign(
      new Error(
        `**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: ${folder}\n         output_dir: ${root}\n         commonpath: ${path.parse(root).root}`,
      ),
      { type: 'Exception' },
    );
  }
  fs.mkdirSync(folder, { recursive: true });
  const taken = files(folder)
    .map((f) => (f.startsWith(`${filename}_`) ? /^_(\d+)_/.exec(f.slice(filename.length)) : null))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
  let counter = taken.length ? Math.max(...taken) + 1 : 1;
  const text: Record<string, string> = { prompt: JSON.stringify(ctx.prompt) };
  for (const [k, v] of Object.entries(ctx.extraPngInfo ?? {})) text[k] = JSON.stringify(v);
  const saved: SavedImage[] = [];
  for (const frame of images) {
    const file = `${filename}_${String(counter).padStart(5, '0')}_.png`;
    fs.writeFileSync(path.join(folder, file), await png(frame, type === 'output' ? text : {}));
    saved.push({ filename: file, subfolder, type });
    counter++;
  }
  return saved;
}

const KONTEXT_SIZES: [number, number][] = [
  [672, 1568], [688, 1504], [720, 1456], [752, 1392], [800, 1328], [832, 1248], [880, 1184], [944, 1104], [1024, 1024],
  [1104, 944], [1184, 880], [1248, 832], [1328, 800], [1392, 752], [1456, 720], [1504, 688], [1568, 672],
];

const SAMPLERS = ['euler', 'euler_cfg_pp', 'euler_ancestral', 'heun', 'dpm_2', 'lms', 'dpmpp_2m', 'dpmpp_2m_sde', 'dpmpp_3m_sde', 'ddpm', 'lcm', 'res_multistep', 'ddim', 'uni_pc'];
const SCHEDULERS = ['simple', 'sgm_uniform', 'karras', 'exponential', 'ddim_uniform', 'beta', 'normal', 'linear_quadratic', 'kl_optimal'];
const CLIP_TYPES = ['stable_diffusion', 'stable_cascade', 'sd3', 'stable_audio', 'mochi', 'ltxv', 'pixart', 'cosmos', 'lumina2', 'wan', 'hidream', 'chroma', 'ace', 'omnigen2', 'qwen_image', 'hunyuan_image', 'flux2'];
const DUAL_CLIP_TYPES = ['sdxl', 'sd3', 'flux', 'hunyuan_video', 'hidream', 'hunyuan_image'];

type Def = Omit<NodeClass, 'name' | 'display_name' | 'description' | 'python_module' | 'category'> & {
  display_name?: string;
  category?: string;
  description?: string;
  python_module?: string;
};

const DEFS: Record<string, Def> = {
  LoadImage: {
    category: 'image',
    input: (env) => ({ required: { image: combo(files(env.inputDir), { image_upload: true }) } }),
    output: ['IMAGE', 'MASK'],
    validate: {
      inputs: ['image'],
      check: (v, env) => {
        const file = annotatedPath(String(v.image), env);
        return file && fs.existsSync(file) ? true : `Invalid image file: ${v.image}`;
      },
    },
    changed: (v, env) => {
      const file = annotatedPath(String(v.image), env);
      return file && fs.existsSync(file) ? crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex') : '';
    },
    async run(v, ctx) {
      const { image, mask } = await decode(fs.readFileSync(annotatedPath(String(v.image), ctx.env)!));
      return { outputs: [[image], [mask]] };
    },
  },
  SaveImage: {
    category: 'image',
    description: 'Saves the input images to your ComfyUI output directory.',
    input: () => ({
      required: { images: IMAGE, filename_prefix: ['STRING', { default: 'ComfyUI' }] },
      hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
    }),
    output: [],
    output_node: true,
    async run(v, ctx) {
      return { outputs: [], ui: { images: await saveImages(v.images, String(v.filename_prefix), 'output', ctx) } };
    },
  },
  PreviewImage: {
    category: 'image',
    input: () => ({ required: { images: IMAGE }, hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' } }),
    output: [],
    output_node: true,
    async run(v, ctx) {
      // nodes.py PreviewImage: "ComfyUI" plus "_temp_" and five random letters.
      const suffix = Array.from(crypto.randomBytes(5), (b) => 'abcdefghijklmnopqrstupvxyz'[b % 26]).join('');
      return { outputs: [], ui: { images: await saveImages(v.images, `ComfyUI_temp_${suffix}`, 'temp', ctx) } };
    },
  },
  ImageScale: {
    category: 'image/upscaling',
    input: () => ({
      required: {
        image: IMAGE,
        upscale_method: combo(UPSCALE_METHODS),
        width: INT(512, 0, MAX_RESOLUTION),
        height: INT(512, 0, MAX_RESOLUTION),
        crop: combo(['disabled', 'center']),
      },
    }),
    output: ['IMAGE'],
    async run(v) {
      const image = v.image as Image;
      if (v.width === 0 && v.height === 0) return { outputs: [image] };
      return {
        outputs: [
          await map(image, (f) => {
            const w = v.width === 0 ? Math.max(1, Math.round((f.width * v.height) / f.height)) : v.width;
            const h = v.height === 0 ? Math.max(1, Math.round((f.height * w) / f.width)) : v.height;
            return scale(f, w, h, v.upscale_method, v.crop);
          }),
        ],
      };
    },
  },
  ImageScaleBy: {
    category: 'image/upscaling',
    input: () => ({ required: { image: IMAGE, upscale_method: combo(UPSCALE_METHODS), scale_by: FLOAT(1, 0.01, 8) } }),
    output: ['IMAGE'],
    async run(v) {
      return { outputs: [await map(v.image, (f) => scale(f, Math.round(f.width * v.scale_by), Math.round(f.height * v.scale_by), v.upscale_method, 'disabled'))] };
    },
  },
  ImageScaleToTotalPixels: {
    category: 'image/upscaling',
    input: () => ({ required: { image: IMAGE, upscale_method: combo(UPSCALE_METHODS), megapixels: FLOAT(1, 0.01, 16) } }),
    output: ['IMAGE'],
    async run(v) {
      return {
        outputs: [
          await map(v.image, (f) => {
            const by = Math.sqrt((v.megapixels * 1024 * 1024) / (f.width * f.height));
            return scale(f, Math.round(f.width * by), Math.round(f.height * by), v.upscale_method, 'disabled');
          }),
        ],
      };
    },
  },
  ImageInvert: {
    category: 'image',
    input: () => ({ required: { image: IMAGE } }),
    output: ['IMAGE'],
    async run(v) {
      return { outputs: [(v.image as Image).map((f) => ({ ...f, data: Buffer.from(f.data.map((b) => 255 - b)) }))] };
    },
  },
  ImageBatch: {
    category: 'image',
    input: () => ({ required: { image1: IMAGE, image2: IMAGE } }),
    output: ['IMAGE'],
    async run(v) {
      const first = (v.image1 as Image)[0]!;
      const second = await map(v.image2, (f) => scale(f, first.width, first.height, 'bilinear', 'center'));
      return { outputs: [[...v.image1, ...second]] };
    },
  },
  EmptyImage: {
    category: 'image',
    input: () => ({
      required: {
        width: INT(512, 1, MAX_RESOLUTION),
        height: INT(512, 1, MAX_RESOLUTION),
        batch_size: INT(1, 1, 4096),
        color: INT(0, 0, 0xffffff, { display: 'color' }),
      },
    }),
    output: ['IMAGE'],
    async run(v) {
      const rgb: [number, number, number] = [(v.color >> 16) & 0xff, (v.color >> 8) & 0xff, v.color & 0xff];
      return { outputs: [Array.from({ length: v.batch_size }, () => solid(v.width, v.height, rgb))] };
    },
  },
  ImageBlend: {
    category: 'image/postprocessing',
    python_module: 'comfy_extras.nodes_post_processing',
    input: () => ({
      required: {
        image1: IMAGE,
        image2: IMAGE,
        blend_factor: FLOAT(0.5, 0, 1),
        blend_mode: combo(['normal', 'multiply', 'screen', 'overlay', 'soft_light', 'difference']),
      },
    }),
    output: ['IMAGE'],
    async run(v) {
      const a = v.image1 as Image;
      const b = v.image2 as Image;
      // Every pair of 8-bit values blends the same way: one table instead of a float per pixel.
      const table = new Uint8Array(256 * 256);
      for (let x = 0; x < 256; x++) {
        for (let y = 0; y < 256; y++) {
          const mixed = (x / 255) * (1 - v.blend_factor) + blendPixel(x / 255, y / 255, v.blend_mode) * v.blend_factor;
          table[x * 256 + y] = Math.round(Math.min(1, Math.max(0, mixed)) * 255);
        }
      }
      const out = await Promise.all(
        a.map(async (f, i) => {
          // image2 is brought to image1's size first (bicubic, centre crop).
          const g = await scale(b[i % b.length]!, f.width, f.height, 'bicubic', 'center');
          const data = Buffer.alloc(f.data.length);
          for (let p = 0; p < data.length; p++) data[p] = table[f.data[p]! * 256 + g.data[p]!]!;
          return { data, width: f.width, height: f.height };
        }),
      );
      return { outputs: [out] };
    },
  },
  ImageStitch: {
    category: 'image/transform',
    python_module: 'comfy_extras.nodes_images',
    display_name: 'Image Stitch',
    description: 'Stitches image2 to image1 in the specified direction.\nIf image2 is not provided, returns image1 unchanged.\nOptional spacing can be added between images.',
    input: () => ({
      required: {
        image1: IMAGE,
        direction: comboV3(['right', 'down', 'left', 'up'], 'right'),
        match_image_size: ['BOOLEAN', { default: true }],
        spacing_width: ['INT', { default: 0, min: 0, max: 1024, step: 2 }],
        spacing_color: comboV3(['white', 'black', 'red', 'green', 'blue'], 'white'),
      },
      optional: { image2: IMAGE },
    }),
    output: ['IMAGE'],
    async run(v) {
      const first = v.image1 as Image;
      if (!v.image2) return { outputs: [first] };
      const second = v.image2 as Image;
      const sideways = v.direction === 'right' || v.direction === 'left';
      const colour = { white: [255, 255, 255], black: [0, 0, 0], red: [255, 0, 0], green: [0, 255, 0], blue: [0, 0, 255] }[v.spacing_color as 'white'] as [number, number, number];
      const spacing = v.spacing_width + (v.spacing_width % 2);
      const out = await Promise.all(
        Array.from({ length: Math.max(first.length, second.length) }, async (_, i) => {
          const a = first[Math.min(i, first.length - 1)]!;
          let b = second[Math.min(i, second.length - 1)]!;
          if (v.match_image_size) {
            b = sideways
              ? await scale(b, Math.max(1, Math.round((b.width * a.height) / b.height)), a.height, 'lanczos', 'disabled')
              : await scale(b, a.width, Math.max(1, Math.round((b.height * a.width) / b.width)), 'lanczos', 'disabled');
          }
          const [lead, tail] = v.direction === 'right' || v.direction === 'down' ? [a, b] : [b, a];
          const width = sideways ? lead.width + spacing + tail.width : Math.max(lead.width, tail.width);
          const height = sideways ? Math.max(lead.height, tail.height) : lead.height + spacing + tail.height;
          const canvas = solid(width, height, spacing ? colour : [0, 0, 0]);
          if (spacing) {
            // Only the gap keeps the spacing colour; padding around a smaller image is black.
            paste(canvas, solid(sideways ? lead.width : width, sideways ? height : lead.height, [0, 0, 0]), 0, 0);
            paste(canvas, solid(sideways ? tail.width : width, sideways ? height : tail.height, [0, 0, 0]), sideways ? lead.width + spacing : 0, sideways ? 0 : lead.height + spacing);
          }
          paste(canvas, lead, sideways ? 0 : Math.floor((width - lead.width) / 2), sideways ? Math.floor((height - lead.height) / 2) : 0);
          paste(
            canvas,
            tail,
            sideways ? lead.width + spacing : Math.floor((width - tail.width) / 2),
            sideways ? Math.floor((height - tail.height) / 2) : lead.height + spacing,
          );
          return canvas;
        }),
      );
      return { outputs: [out] };
    },
  },
  RepeatImageBatch: {
    category: 'image/batch',
    python_module: 'comfy_extras.nodes_images',
    input: () => ({ required: { image: IMAGE, amount: INT(1, 1, 4096) } }),
    output: ['IMAGE'],
    async run(v) {
      const image = v.image as Image;
      return { outputs: [Array.from({ length: v.amount }, () => image).flat()] };
    },
  },
  ImageFromBatch: {
    category: 'image/batch',
    python_module: 'comfy_extras.nodes_images',
    input: () => ({ required: { image: IMAGE, batch_index: INT(0, 0, 4095), length: INT(1, 1, 4096) } }),
    output: ['IMAGE'],
    async run(v) {
      const image = v.image as Image;
      const start = Math.min(image.length - 1, v.batch_index);
      return { outputs: [image.slice(start, start + v.length)] };
    },
  },
  ImageCrop: {
    category: 'image/transform',
    python_module: 'comfy_extras.nodes_images',
    input: () => ({
      required: { image: IMAGE, width: INT(512, 1, MAX_RESOLUTION), height: INT(512, 1, MAX_RESOLUTION), x: INT(0, 0, MAX_RESOLUTION), y: INT(0, 0, MAX_RESOLUTION) },
    }),
    output: ['IMAGE'],
    async run(v) {
      return {
        outputs: [
          (v.image as Image).map((f) => {
            const x = Math.min(v.x, f.width - 1);
            const y = Math.min(v.y, f.height - 1);
            const w = Math.min(v.width, f.width - x);
            const h = Math.min(v.height, f.height - y);
            const out = solid(w, h, [0, 0, 0]);
            paste(out, f, -x, -y);
            return out;
          }),
        ],
      };
    },
  },
  GetImageSize: {
    category: 'image',
    python_module: 'comfy_extras.nodes_images',
    description: 'Returns width and height of the image, and passes it through unchanged.',
    input: () => ({ required: { image: IMAGE }, hidden: { unique_id: 'UNIQUE_ID' } }),
    output: ['INT', 'INT', 'INT'],
    output_name: ['width', 'height', 'batch_size'],
    async run(v, ctx) {
      const f = (v.image as Image)[0]!;
      ctx.sendText(`width: ${f.width}, height: ${f.height}\n batch size: ${v.image.length}`);
      return { outputs: [f.width, f.height, v.image.length] };
    },
  },
  FluxKontextImageScale: {
    category: 'advanced/conditioning/flux',
    python_module: 'comfy_extras.nodes_flux',
    description: 'This node resizes the image to one that is more optimal for flux kontext.',
    input: () => ({ required: { image: IMAGE } }),
    output: ['IMAGE'],
    async run(v) {
      return {
        outputs: [
          await map(v.image, (f) => {
            const aspect = f.width / f.height;
            const [w, h] = KONTEXT_SIZES.reduce((best, s) => (Math.abs(aspect - s[0] / s[1]) < Math.abs(aspect - best[0] / best[1]) ? s : best));
            return scale(f, w, h, 'lanczos', 'center');
          }),
        ],
      };
    },
  },

  // Nodes that need weights: defined for validation, as a real server defines them.
  CheckpointLoaderSimple: {
    category: 'loaders',
    input: (env) => ({ required: { ckpt_name: combo(env.models.checkpoints ?? []) } }),
    output: ['MODEL', 'CLIP', 'VAE'],
    run: needsWeights('CheckpointLoaderSimple'),
  },
  UNETLoader: {
    category: 'advanced/loaders',
    input: (env) => ({ required: { unet_name: combo(env.models.diffusion_models ?? []), weight_dtype: combo(['default', 'fp8_e4m3fn', 'fp8_e4m3fn_fast', 'fp8_e5m2']) } }),
    output: ['MODEL'],
    run: needsWeights('UNETLoader'),
  },
  CLIPLoader: {
    category: 'advanced/loaders',
    input: (env) => ({ required: { clip_name: combo(env.models.text_encoders ?? []), type: combo(CLIP_TYPES) }, optional: { device: combo(['default', 'cpu'], { advanced: true }) } }),
    output: ['CLIP'],
    run: needsWeights('CLIPLoader'),
  },
  DualCLIPLoader: {
    category: 'advanced/loaders',
    input: (env) => ({
      required: { clip_name1: combo(env.models.text_encoders ?? []), clip_name2: combo(env.models.text_encoders ?? []), type: combo(DUAL_CLIP_TYPES) },
      optional: { device: combo(['default', 'cpu'], { advanced: true }) },
    }),
    output: ['CLIP'],
    run: needsWeights('DualCLIPLoader'),
  },
  VAELoader: {
    category: 'loaders',
    input: (env) => ({ required: { vae_name: combo(env.models.vae ?? []) } }),
    output: ['VAE'],
    run: needsWeights('VAELoader'),
  },
  LoraLoaderModelOnly: {
    category: 'loaders',
    input: (env) => ({ required: { model: ['MODEL'], lora_name: combo(env.models.loras ?? []), strength_model: FLOAT(1, -100, 100) } }),
    output: ['MODEL'],
    run: needsWeights('LoraLoaderModelOnly'),
  },
  CLIPTextEncode: {
    category: 'conditioning',
    input: () => ({ required: { text: ['STRING', { multiline: true, dynamicPrompts: true }], clip: ['CLIP'] } }),
    output: ['CONDITIONING'],
    run: needsWeights('CLIPTextEncode'),
  },
  TextEncodeQwenImageEditPlus: {
    category: 'advanced/conditioning',
    python_module: 'comfy_extras.nodes_qwen',
    input: () => ({
      required: { clip: ['CLIP'], prompt: ['STRING', { multiline: true, dynamicPrompts: true }] },
      optional: { vae: ['VAE'], image1: IMAGE, image2: IMAGE, image3: IMAGE },
    }),
    output: ['CONDITIONING'],
    run: needsWeights('TextEncodeQwenImageEditPlus'),
  },
  ConditioningZeroOut: {
    category: 'advanced/conditioning',
    input: () => ({ required: { conditioning: ['CONDITIONING'] } }),
    output: ['CONDITIONING'],
    run: needsWeights('ConditioningZeroOut'),
  },
  FluxGuidance: {
    category: 'advanced/conditioning/flux',
    python_module: 'comfy_extras.nodes_flux',
    input: () => ({ required: { conditioning: ['CONDITIONING'], guidance: FLOAT(3.5, 0, 100, 0.1) } }),
    output: ['CONDITIONING'],
    run: needsWeights('FluxGuidance'),
  },
  ReferenceLatent: {
    category: 'advanced/conditioning/edit_models',
    python_module: 'comfy_extras.nodes_edit_model',
    input: () => ({ required: { conditioning: ['CONDITIONING'] }, optional: { latent: ['LATENT'] } }),
    output: ['CONDITIONING'],
    run: needsWeights('ReferenceLatent'),
  },
  ModelSamplingAuraFlow: {
    category: 'advanced/model',
    python_module: 'comfy_extras.nodes_model_advanced',
    input: () => ({ required: { model: ['MODEL'], shift: FLOAT(1.73, 0, 100) } }),
    output: ['MODEL'],
    run: needsWeights('ModelSamplingAuraFlow'),
  },
  CFGNorm: {
    category: 'advanced/guidance',
    python_module: 'comfy_extras.nodes_cfg',
    input: () => ({ required: { model: ['MODEL'], strength: FLOAT(1, 0, 100) } }),
    output: ['MODEL'],
    run: needsWeights('CFGNorm'),
  },
  KSampler: {
    category: 'sampling',
    input: () => ({
      required: {
        model: ['MODEL'],
        seed: ['INT', { default: 0, min: 0, max: 0xffffffffffffffff, control_after_generate: true }],
        steps: INT(20, 1, 10000),
        cfg: FLOAT(8, 0, 100, 0.1),
        sampler_name: combo(SAMPLERS),
        scheduler: combo(SCHEDULERS),
        positive: ['CONDITIONING'],
        negative: ['CONDITIONING'],
        latent_image: ['LATENT'],
        denoise: FLOAT(1, 0, 1),
      },
    }),
    output: ['LATENT'],
    run: needsWeights('KSampler'),
  },
  VAEEncode: {
    category: 'latent',
    input: () => ({ required: { pixels: IMAGE, vae: ['VAE'] } }),
    output: ['LATENT'],
    run: needsWeights('VAEEncode'),
  },
  VAEDecode: {
    category: 'latent',
    input: () => ({ required: { samples: ['LATENT'], vae: ['VAE'] } }),
    output: ['IMAGE'],
    run: needsWeights('VAEDecode'),
  },
  EmptySD3LatentImage: {
    category: 'latent/sd3',
    python_module: 'comfy_extras.nodes_sd3',
    input: () => ({ required: { width: INT(1024, 16, MAX_RESOLUTION, { step: 16 }), height: INT(1024, 16, MAX_RESOLUTION, { step: 16 }), batch_size: INT(1, 1, 4096) } }),
    output: ['LATENT'],
    run: needsWeights('EmptySD3LatentImage'),
  },
};

/** Every node type, by class_type, as NODE_CLASS_MAPPINGS. */
export const NODES: ReadonlyMap<string, NodeClass> = new Map(
  Object.entries(DEFS).map(([name, d]) => [
    name,
    { ...d, name, display_name: d.display_name ?? name, category: d.category ?? 'image', description: d.description ?? '', python_module: d.python_module ?? 'nodes' },
  ]),
);

/** server.py node_info: what /object_info answers for one node type. */
export function nodeInfo(node: NodeClass, env: NodeEnv): Record<string, unknown> {
  const input = node.input(env);
  return {
    input,
    input_order: Object.fromEntries(Object.entries(input).map(([k, v]) => [k, Object.keys(v)])),
    output: node.output,
    output_is_list: node.output.map(() => false),
    output_name: node.output_name ?? node.output,
    name: node.name,
    display_name: node.display_name,
    description: node.description,
    python_module: node.python_module,
    category: node.category,
    output_node: node.output_node === true,
  };
}

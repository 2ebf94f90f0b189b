import { applied, editsOf, type PipelineContext } from '../context.js';
import type { Step } from '../pipeline.js';
import { createHash } from 'node:crypto';
import { boundingBox, keepMainRegions, type Mask } from '../ops/mask.js';
import { chooseScene, readPicture } from '../ops/roles.js';
import { fromRaster, toRaster, type Raster } from '../raster.js';
import { Segmenter } from '../segment/index.js';

/** Kinds that need the scene's subject mask at full resolution. */
const SCENE_SUBJECT = ['remove_background', 'replace_background', 'blur_background', 'crop_subject'] as const;

/** Long side of the quick look: the coarse mask is brought to this size, never the full one. */
const GLANCE_SIDE = 384;

/**
 * Finds subjects, in two depths. A quick look (a coarse pass of the model) at every reference whose
 * role is open, and at the scene when something is placed into it: which picture is the scene, and
 * where the scene's main object is, so that nothing is placed over it unless the prompt says so. Then a
 * full mask for exactly the references that need one: every reference whose subject is placed, and the
 * scene when an edit works around its subject or a placement is anchored to it.
 */
export const segment: Step = {
  name: 'segment',
  weight: 4,
  async run(c) {
    const placements = editsOf(c, 'place');
    if (placements.length) {
      const look = new Set<number>([c.plan.scene]);
      if (c.plan.rolesOpen) c.sources.forEach((_, i) => look.add(i));
      await glance(c, [...look].filter((i) => c.sources[i]));
      if (c.plan.rolesOpen) settleRoles(c);
    }

    const needed = new Set<number>();
    if (editsOf(c, ...SCENE_SUBJECT).length) needed.add(c.plan.scene);
    for (const e of editsOf(c, 'place')) {
      needed.add(e.params.source);
      if (e.params.anchor) needed.add(c.plan.scene);
    }
    const wanted = [...needed].filter((i) => c.sources[i]);
    if (!wanted.length) return;
    const segmenter = await Segmenter.shared();
    const masks = await Promise.all(wanted.map(sameContentOnce(c, (i) => segmenter.segment(c.sources[i]!, { signal: c.engine.signal }).then((m) => keepMainRegions(m)))));
    wanted.forEach((i, k) => c.masks.set(i, masks[k]!));
    const scene = c.masks.get(c.plan.scene);
    if (scene) for (const canvas of c.canvases) canvas.subject = scene;
  },
};

/** The same picture sent twice is looked at once: a memo by content for one kind of pass. */
function sameContentOnce<T>(c: PipelineContext, pass: (i: number) => Promise<T>): (i: number) => Promise<T> {
  const byContent = new Map<string, Promise<T>>();
  return (i) => {
    const key = createHash('sha1').update(c.request.images[i]!.data).digest('hex');
    let result = byContent.get(key);
    if (!result) {
      result = pass(i);
      byContent.set(key, result);
    }
    return result;
  };
}

async function glance(c: PipelineContext, indices: number[]): Promise<void> {
  const coarse = await Segmenter.coarse();
  const look = sameContentOnce(c, async (i) => {
    const source = c.sources[i]!;
    const k = Math.min(1, GLANCE_SIDE / Math.max(source.width, source.height));
    const width = Math.max(1, Math.round(source.width * k));
    const height = Math.max(1, Math.round(source.height * k));
    const [raw, small] = await Promise.all([
      coarse.segment(source, { width, height, signal: c.engine.signal }),
      toRaster(fromRaster(source).resize(width, height, { fit: 'fill' })),
    ]);
    const mask = await keepMainRegions(raw);
    return { reading: readPicture(small, mask), box: scaled(boundingBox(mask), source, mask) };
  });
  const seen = await Promise.all(indices.map(look));
  indices.forEach((i, k) => c.glances.set(i, seen[k]!));
}

const scaled = (box: ReturnType<typeof boundingBox>, full: Raster, mask: Mask) => {
  if (!box) return undefined;
  const sx = full.width / mask.width;
  const sy = full.height / mask.height;
  return { left: Math.floor(box.left * sx), top: Math.floor(box.top * sy), width: Math.ceil(box.width * sx), height: Math.ceil(box.height * sy) };
};

/**
 * The prompt left the roles open: the picture that looks most like a scene becomes the scene, and the
 * one that was the scene by order takes its place among the placed references. Said in a `scene` edit
 * with the reason.
 */
function settleRoles(c: PipelineContext): void {
  const readings = c.sources.map((_, i) => c.glances.get(i)?.reading);
  if (readings.some((r) => !r)) return;
  const { scene, reason } = chooseScene(readings.map((r) => r!));
  const before = c.plan.scene;
  if (scene !== before) {
    c.plan = {
      ...c.plan,
      scene,
      edits: c.plan.edits.map((e) =>
        e.kind === 'place' ? { ...e, params: { ...e.params, into: scene, source: e.params.source === scene ? before : e.params.source } } : e,
      ),
    };
    const image = c.sources[scene]!;
    c.canvases = c.canvases.map((canvas) => ({ ...canvas, image }));
  }
  applied(c, { kind: 'scene', params: { image: scene } }, { image: scene, chosen: 'from the pictures', reason });
}

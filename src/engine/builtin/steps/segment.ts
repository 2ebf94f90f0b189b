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
 * Long side of a placed subject's mask. A subject is pasted at most as tall as the scene and usually
 * about half of it; refining its mask at the source's full 4K would cost the guided filter four times
 * the work for edges that are then scaled down. The cut-out takes its pixels from the full source.
 */
const SUBJECT_MASK_SIDE = 1280;

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
    // Open roles: every picture is looked at before anything else, since the answer changes which
    // references need a full mask.
    if (placements.length && c.plan.rolesOpen) {
      await glance(c, c.sources.map((_, i) => i));
      settleRoles(c);
    }
    // The scene's mask at full size (edits work around it, anchors relate to it); subjects' bounded.
    const scene = c.plan.scene;
    const sceneNeeded = editsOf(c, ...SCENE_SUBJECT).length > 0 || editsOf(c, 'place').some((e) => e.params.anchor);
    const subjects = [...new Set(editsOf(c, 'place').map((e) => e.params.source))].filter((i) => i !== scene && c.sources[i]);
    const [segmenter, forSubjects] = await Promise.all([sceneNeeded ? Segmenter.shared() : undefined, subjects.length ? Segmenter.forSubjects() : undefined]);
    const sceneMask = sceneNeeded && c.sources[scene] ? segmenter!.segment(c.sources[scene]!, { signal: c.engine.signal }).then((m) => keepMainRegions(m)) : undefined;
    const subjectMask = sameContentOnce(c, (i) => {
      const source = c.sources[i]!;
      const k = Math.min(1, SUBJECT_MASK_SIDE / Math.max(source.width, source.height));
      const size = { width: Math.max(1, Math.round(source.width * k)), height: Math.max(1, Math.round(source.height * k)) };
      return forSubjects!.segment(source, { ...size, signal: c.engine.signal }).then((m) => keepMainRegions(m));
    });
    // The full masks are asked for first: while the main thread refines one and the fuse step cuts the
    // subjects out, the model thread already runs the quick look at the scene, which is awaited only
    // for the layout. (When the scene gets a full mask anyway, its box comes from that.)
    const masks = Promise.all(subjects.map(subjectMask));
    if (placements.length && !sceneNeeded && !c.glances.has(scene) && c.sources[scene]) {
      c.looking = glance(c, [scene]);
      c.looking.catch(() => {}); // awaited (and its failure reported) by the fuse step
    }
    const [done, sceneDone] = await Promise.all([masks, sceneMask]);
    subjects.forEach((i, k) => c.masks.set(i, done[k]!));
    if (sceneDone) c.masks.set(scene, sceneDone);
    const subject = c.masks.get(scene);
    if (subject) for (const canvas of c.canvases) canvas.subject = subject;
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
      coarse.segment(source, { width, height, refine: false, signal: c.engine.signal }),
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

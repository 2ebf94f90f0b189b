import type { PipelineContext } from './context.js';

/** One named stage of the engine. `weight` is its rough share of the run time, for progress. */
export interface Step {
  name: string;
  weight: number;
  run(c: PipelineContext): Promise<void>;
}

export type Pipeline = readonly Step[];

/** Runs the steps in order, checking the signal between them and advancing the progress. */
export async function runPipeline(pipeline: Pipeline, c: PipelineContext): Promise<void> {
  const total = pipeline.reduce((sum, s) => sum + s.weight, 0) || 1;
  let done = 0;
  for (const step of pipeline) {
    c.engine.signal.throwIfAborted();
    const started = performance.now();
    await step.run(c);
    done += step.weight;
    c.engine.log.debug({ step: step.name, ms: Math.round(performance.now() - started) }, 'engine step');
    c.engine.progress(done / total);
  }
  c.engine.signal.throwIfAborted();
}

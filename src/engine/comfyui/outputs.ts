/**
 * The images a finished prompt saved, brought back through /view and made what retouch promises:
 * exactly the requested size, JPEG (PNG with transparency), as many as the prompt asked for.
 *
 * Downloads start early: the websocket's `executed` message for an output node names its files
 * before the run is over, so they are fetched and converted while the end is still being confirmed
 * from /history (the truth: only the files it lists are kept; the others are dropped).
 */
import { conformImage, type Conformed } from '../conform.js';
import { EngineUnavailableError } from '../errors.js';
import type { OutputImage } from '../types.js';
import type { HistoryEntry, SavedFile } from './client.js';
import type { ComfyServer } from './server.js';

export interface WantedOutputs {
  /** The output nodes whose images count, in order. */
  nodes: readonly string[];
  width: number;
  height: number;
  count: number;
}

const keyOf = (f: SavedFile) => `${f.type}\u0000${f.subfolder}\u0000${f.filename}`;
const isResult = (f: SavedFile) => f.type === 'output' || f.type === 'temp';

export class OutputCollector {
  private readonly early = new Map<string, Promise<Conformed>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly server: ComfyServer,
    private readonly want: WantedOutputs,
    signal: AbortSignal,
  ) {
    if (signal.aborted) this.abort.abort(signal.reason);
    else signal.addEventListener('abort', () => this.abort.abort(signal.reason), { once: true, signal: this.abort.signal });
  }

  /** An `executed` message: the node's saved files, fetched now if they will be wanted. */
  executed(node: string, files: readonly SavedFile[]): void {
    if (!this.want.nodes.includes(node)) return;
    for (const file of files.filter(isResult)) {
      if (this.early.size >= this.want.count) return;
      if (this.early.has(keyOf(file))) continue;
      // The first one saved is most likely the first kept: it brings the thumbnail.
      const fetched = this.fetch(file, this.early.size === 0);
      // Waited for only if /history confirms it; a failure then is reported there.
      fetched.catch(() => undefined);
      this.early.set(keyOf(file), fetched);
    }
  }

  /** The outputs of a successful run, from its history entry. */
  async collect(entry: HistoryEntry): Promise<{ images: OutputImage[]; warnings: string[] }> {
    try {
      const files = this.want.nodes.flatMap((id) => entry.outputs[id]?.images ?? []).filter(isResult);
      if (files.length === 0) throw new EngineUnavailableError(`${this.server.label} ran the workflow, but it saved no image`);
      const conformed = await Promise.all(files.slice(0, this.want.count).map((f, i) => this.early.get(keyOf(f)) ?? this.fetch(f, i === 0)));
      const warnings = [...new Set(conformed.flatMap((c) => (c.warning ? [c.warning] : [])))];
      if (files.length < this.want.count) {
        warnings.push(`The prompt asks for ${this.want.count} images; the ComfyUI workflow made ${files.length}.`);
      }
      return { images: conformed.map((c) => c.image), warnings };
    } finally {
      this.close();
    }
  }

  /** Stops downloads nobody will wait for (the run failed, or its files were not the ones kept). */
  close(): void {
    this.abort.abort(new Error('the outputs are no longer wanted'));
  }

  private async fetch(file: SavedFile, thumbnail: boolean): Promise<Conformed> {
    const data = await this.server.client.view(file, this.abort.signal);
    return conformImage(data, this.want.width, this.want.height, 'ComfyUI', { thumbnail });
  }
}

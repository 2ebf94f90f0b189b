// A `retouch worker` whose engine takes a fixed time and does no image work, for the scale-out
// bench: with the engine as the limit, completed requests per second should grow with the number
// of worker processes. The same runtime `retouch worker` builds (dist/), configured from the
// environment (RETOUCH_DATABASE_URL, RETOUCH_STORAGE, …); only the engine differs.
import sharp from 'sharp';
import { resolveConfig } from '../dist/config.js';
import { createLogger } from '../dist/log.js';
import { createRuntime, startBackground } from '../dist/runtime.js';

const ENGINE_MS = Number(process.env.BENCH_ENGINE_MS ?? 200);
const output = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).jpeg().toBuffer();

const engine = {
  name: 'fixed-time',
  async run(_request, ctx) {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ENGINE_MS);
      ctx.signal.addEventListener('abort', () => (clearTimeout(timer), reject(ctx.signal.reason)), { once: true });
    });
    return { images: [{ data: output, format: 'jpeg', width: 64, height: 64 }], edits: [], warnings: [] };
  },
};

const config = resolveConfig({ concurrency: '1' });
const log = createLogger(config.logLevel);
const runtime = await createRuntime(config, { api: false, worker: true }, log, { engine });
startBackground(runtime);
process.on('SIGTERM', () => runtime.close().then(() => process.exit(0), () => process.exit(1)));

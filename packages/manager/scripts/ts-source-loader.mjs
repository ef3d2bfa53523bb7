// Runs the workspace's TypeScript sources in a worker thread started from sources (tests): the search
// worker (src/features/search/worker-search-index.ts) passes it with `--conditions=ffdb-source --import`.
// Transpile only (typescript.transpileModule, no type check). Never used by the compiled package.
import { register } from 'node:module';

register(new URL('./ts-source-loader-hooks.mjs', import.meta.url).href, import.meta.url);

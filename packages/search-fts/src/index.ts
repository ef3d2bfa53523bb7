export { createLunrSearchIndex, LunrSearchIndex } from './lunr-search-index.js';
export {
  LunrSearchOptionsSchema,
  type LunrSearchOptions,
  type ResolvedLunrSearchOptions,
} from './options.js';
export { type Clause, parseQuery } from './query-parser.js';
export { highlightsFor, snippetFor } from './highlight.js';
export { termFrequencies, termOf, wordSpans } from './text-pipeline.js';
export { MANIFEST_FORMAT } from './manifest.js';
export { SEGMENT_FORMAT_VERSION } from './segment-codec.js';

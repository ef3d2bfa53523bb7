export { FsStorageBackend, createFsStorage } from './backend.js';
export { BuiltinJsonCodec, IdentityCompressor } from './builtin-codecs.js';
export { FORMAT_VERSION } from './layout.js';
export {
  type Durability,
  DurabilitySchema,
  FsStorageOptionsSchema,
  type FsStorageOptions,
  type FsStorageOptionsInput,
  fsStorageOptionsFromConfig,
  parseFsStorageOptions,
} from './options.js';

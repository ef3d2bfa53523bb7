import { runCodecSuite, runCompressorSuite } from '@ffdb/conformance';
import {
  BrotliCompressor,
  CborCodec,
  createCodec,
  createCompressor,
  GzipCompressor,
  JsonCodec,
  Lz4Compressor,
  NoneCompressor,
} from '../src/index.js';

runCompressorSuite('lz4', () => new Lz4Compressor());
runCompressorSuite('lz4 without checksum', () => new Lz4Compressor({ checksum: false }));
runCompressorSuite('brotli (default quality)', () => createCompressor({ algorithm: 'brotli' }));
runCompressorSuite('brotli q4', () => new BrotliCompressor({ quality: 4 }));
runCompressorSuite('none', () => new NoneCompressor(), { shrinksCompressible: false });
runCompressorSuite('gzip', () => new GzipCompressor());
runCompressorSuite('zlib', () => new GzipCompressor({ format: 'zlib', level: 9 }));

runCodecSuite('cbor', () => createCodec({ format: 'cbor' }));
runCodecSuite('cbor without records', () => new CborCodec({ records: false }));
runCodecSuite('json', () => new JsonCodec());

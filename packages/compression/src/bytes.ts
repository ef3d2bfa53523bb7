/** Zero-copy views between Uint8Array (what ports speak) and Buffer (what native bindings want). */

export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** A plain Uint8Array view of a Buffer, so callers comparing with `Uint8Array`s see the same type. */
export function asUint8Array(data: Uint8Array): Uint8Array {
  return data.constructor === Uint8Array
    ? data
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

import * as CRC32 from 'crc-32';

/**
 * node:zlib in the browser bundle. The shared reader and writer use only
 * crc32(data, value?): CRC-32 (IEEE) continued from `value`, unsigned, as
 * Node's zlib.crc32 returns it. crc-32 continues from a signed seed and
 * returns signed, hence the conversions.
 */
export function crc32(data: Uint8Array | string, value = 0): number {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return CRC32.buf(bytes, value | 0) >>> 0;
}

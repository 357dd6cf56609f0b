/**
 * The global `Buffer` of the browser bundle (esbuild `inject`): the shared
 * store code uses Buffer's little-endian readers and writers, which the
 * `buffer` package implements on Uint8Array.
 */
export { Buffer } from 'buffer';

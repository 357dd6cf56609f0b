import { endianness } from 'node:os';
import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { strictBase64Bytes } from './strict-base64.ts';

/**
 * Vectors as tools take them: a JSON array of numbers (the simple path) or
 * base64 of little-endian float32 (the fast path, and what OpenAI's
 * embeddings API returns with `encoding_format: "base64"`).
 *
 * The JSON array is checked by one loop rather than zod's per-element schema:
 * a 1000 x 384 batch is 384,000 numbers, and zod's element-by-element check
 * cost about 40 ms of a 190 ms call. The JSON Schema advertised is the same
 * array of numbers, written as meta because zod cannot see inside the check.
 */

export const VECTOR_RULE = 'vector must be an array of finite numbers';

function vectorProblem(v: unknown): string | null {
  if (!Array.isArray(v)) return VECTOR_RULE;
  if (v.length === 0) return 'vector must not be empty';
  if (v.length > LIMITS.maxDimensions) return `a vector has at most ${LIMITS.maxDimensions} dimensions`;
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) return `vector elements must be finite numbers (no NaN, Infinity, strings or nulls); element ${i} is ${JSON.stringify(x) ?? String(x)}`;
  }
  return null;
}

export const Vector = z
  .unknown()
  .transform((v, ctx) => {
    const problem = vectorProblem(v);
    if (problem === null) return v as number[];
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  })
  .meta({ type: 'array', items: { type: 'number' }, minItems: 1, maxItems: LIMITS.maxDimensions });

const BASE64_RULE = 'base64 of little-endian float32 values (standard alphabet A-Z a-z 0-9 + /, padded with = to a multiple of 4 characters)';

/**
 * Strict base64 to float32. Buffer.from(s, 'base64') skips characters outside
 * the alphabet and accepts missing padding, so a damaged string would decode
 * to other numbers without a word: strictBase64Bytes refuses all of that, and
 * every value must be finite. Returns a message instead of throwing.
 */
export function decodeFloat32Base64(text: string, what: string): Float32Array | string {
  const bytes = strictBase64Bytes(text);
  if (bytes === undefined) return `${what} is not base64 of float32 values; encode the little-endian float32 bytes with the standard alphabet (A-Z a-z 0-9 + /) and = padding`;
  if (bytes.length === 0) return `${what} is empty; send at least one float32`;
  if (bytes.length % 4 !== 0) return `${what} decodes to ${bytes.length} bytes, not whole float32 values; send 4 bytes per value`;
  let values: Float32Array;
  if (endianness() === 'LE' && bytes.byteOffset % 4 === 0) {
    // The decoded bytes are already the floats: view them (a large decode has its own ArrayBuffer).
    values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  } else {
    values = new Float32Array(bytes.length / 4);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
  }
  if (allFinite(values)) return values;
  const at = values.findIndex((x) => !Number.isFinite(x));
  return `${what} holds a NaN or infinite value at float ${at}; send finite numbers`;
}

/**
 * x * 0 is 0 for a finite x and NaN for NaN or an infinity, so the sum is 0
 * exactly when every value is finite; four independent sums let the CPU
 * overlap them (0.25 against 0.5 ms for Number.isFinite on 384,000 values).
 */
function allFinite(values: Float32Array): boolean {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = values.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += (values[i] as number) * 0;
    s1 += (values[i + 1] as number) * 0;
    s2 += (values[i + 2] as number) * 0;
    s3 += (values[i + 3] as number) * 0;
  }
  for (; i < n; i++) s0 += (values[i] as number) * 0;
  return s0 + s1 + s2 + s3 === 0;
}

const MAX_ONE_VECTOR_CHARS = Math.ceil((LIMITS.maxDimensions * 4) / 3) + 4;

/** A base64 string of float32 values, decoded here so a tool receives a Float32Array; `maxChars` caps one vector's length. */
function base64Floats(what: string, maxChars = Infinity) {
  return z
    .string({ error: `${what} must be a string: ${BASE64_RULE}` })
    .transform((text, ctx) => {
      // checked here, not with .max(): maxLength is outside what strict function calling takes
      const decoded = text.length > maxChars ? `${what} holds more than ${LIMITS.maxDimensions} float32 values` : decodeFloat32Base64(text, what);
      if (typeof decoded === 'string') {
        ctx.addIssue({ code: 'custom', message: decoded });
        return z.NEVER;
      }
      return decoded;
    });
}

/** One vector as base64. */
export function vectorBase64(what: string) {
  return base64Floats(what, MAX_ONE_VECTOR_CHARS);
}

/** Many vectors back to back, as base64; split by the tool once it knows the store's dimension. */
export const VectorsBase64 = base64Floats('vectors_b64');

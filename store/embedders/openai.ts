import { RvfError } from '../errors.ts';
import type { EmbedderIdentity } from '../types.ts';
import { LIMITS } from '../../schemas/limits.ts';
import type { Embedder } from './embedder.ts';

/**
 * An OpenAI-compatible embeddings endpoint (OpenAI itself, Ollama, llama.cpp,
 * vLLM, LM Studio, ...): POST `<url>/embeddings` with `{model, input}`. Every
 * way the endpoint can fail or misbehave becomes one RvfError (EIO) naming the
 * URL and what to do, before anything is written: a store never receives a
 * vector that was not checked to be finite and of the right length.
 */

export interface OpenAiEmbedderOptions {
  url: string;
  model: string;
  apiKey?: string | undefined;
  /** Per request; a local model loading for the first time can take a while. */
  timeoutMs?: number;
  /** Texts per request. Many servers cap the batch; 64 is safe for all we know of. */
  batchSize?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_BATCH = 64;
const PROBE_TEXT = 'dimension probe';

/** Makes the embedder, learning the dimension from one probe request (so a dead endpoint fails here, not mid-write). */
export async function createOpenAiEmbedder(options: OpenAiEmbedderOptions): Promise<OpenAiEmbedder> {
  const client = new EmbeddingsClient(options);
  const [probe] = await client.request([PROBE_TEXT]);
  const dimensions = (probe as Float32Array).length;
  if (dimensions > LIMITS.maxDimensions) {
    throw new RvfError('EIO', `the embedder at ${client.endpoint} returned ${dimensions}-d vectors; a store holds at most ${LIMITS.maxDimensions}.`);
  }
  return new OpenAiEmbedder({ name: `openai:${options.model}`, dimensions }, client, options.batchSize ?? DEFAULT_BATCH);
}

export class OpenAiEmbedder implements Embedder {
  readonly identity: EmbedderIdentity;
  readonly #client: EmbeddingsClient;
  readonly #batchSize: number;

  constructor(identity: EmbedderIdentity, client: EmbeddingsClient, batchSize: number) {
    this.identity = identity;
    this.#client = client;
    this.#batchSize = batchSize;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.#batchSize) {
      const vectors = await this.#client.request(texts.slice(start, start + this.#batchSize));
      for (const v of vectors) {
        if (v.length !== this.identity.dimensions) {
          throw new RvfError(
            'EIO',
            `the embedder at ${this.#client.endpoint} returned a ${v.length}-d vector where it returned ${this.identity.dimensions}-d before; is another model loaded under the name ${this.#client.model}?`,
          );
        }
        out.push(v);
      }
    }
    return out;
  }
}

/** One HTTP request per batch, and the checks on what comes back. */
class EmbeddingsClient {
  readonly endpoint: string;
  readonly model: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: OpenAiEmbedderOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/embeddings`;
    this.model = options.model;
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async request(input: string[]): Promise<Float32Array[]> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.#apiKey) headers['authorization'] = `Bearer ${this.#apiKey}`;
    let response: Response;
    let body: string;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: this.model, input }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      body = await response.text();
    } catch (err) {
      throw this.#unreachable(err);
    }
    if (!response.ok) {
      const hint = response.status === 401 || response.status === 403 ? ' (check RVF_EMBEDDER_API_KEY)' : response.status === 404 ? ' (check the URL ends in /v1 and the model name is pulled)' : '';
      throw new RvfError('EIO', `the embedder at ${this.endpoint} answered HTTP ${response.status}${hint}: ${snippet(body)}`);
    }
    return this.#vectors(body, input.length);
  }

  #unreachable(err: unknown): RvfError {
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      return new RvfError('EIO', `the embedder at ${this.endpoint} did not answer within ${this.#timeoutMs / 1000} s; check the server is up and the model loaded, then retry.`);
    }
    const reason = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
    return new RvfError(
      'EIO',
      `cannot reach the embedder at ${this.endpoint} (${reason}); the embeddings server must be running there (for Ollama: ollama serve), or fix --embedder-url / RVF_EMBEDDER_URL.`,
    );
  }

  #vectors(body: string, expected: number): Float32Array[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new RvfError('EIO', `the embedder at ${this.endpoint} answered with malformed JSON: ${snippet(body)}`);
    }
    const data = (parsed as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) {
      throw new RvfError('EIO', `the embedder at ${this.endpoint} answered without a "data" array (not an OpenAI-compatible embeddings response): ${snippet(body)}`);
    }
    if (data.length !== expected) {
      throw new RvfError('EIO', `the embedder at ${this.endpoint} returned ${data.length} embeddings for ${expected} texts.`);
    }
    // Responses carry `index`; servers may answer out of order, so place each by it when present.
    const out = new Array<Float32Array | undefined>(expected);
    data.forEach((item: unknown, position: number) => {
      const { embedding, index } = (item ?? {}) as { embedding?: unknown; index?: unknown };
      const at = typeof index === 'number' ? index : position;
      if (!Number.isInteger(at) || at < 0 || at >= expected || out[at] !== undefined) {
        throw new RvfError('EIO', `the embedder at ${this.endpoint} returned a bad or repeated index ${JSON.stringify(index)}.`);
      }
      out[at] = this.#vector(embedding, at);
    });
    const vectors = out as Float32Array[];
    const dims = vectors[0]?.length ?? 0;
    if (vectors.some((v) => v.length !== dims)) {
      throw new RvfError('EIO', `the embedder at ${this.endpoint} returned vectors of different lengths in one answer.`);
    }
    return vectors;
  }

  #vector(embedding: unknown, at: number): Float32Array {
    if (!Array.isArray(embedding) || embedding.length === 0) {
      throw new RvfError('EIO', `the embedder at ${this.endpoint} returned no embedding array for text ${at} (base64 encoding is not supported).`);
    }
    const v = new Float32Array(embedding.length);
    for (let i = 0; i < embedding.length; i++) {
      const x: unknown = embedding[i];
      if (typeof x !== 'number' || !Number.isFinite(x) || !Number.isFinite(Math.fround(x))) {
        throw new RvfError('EIO', `the embedder at ${this.endpoint} returned a non-numeric or non-finite value ${JSON.stringify(x)} at [${at}][${i}].`);
      }
      v[i] = x;
    }
    return v;
  }
}

function snippet(body: string): string {
  const text = body.slice(0, 200).replace(/\s+/g, ' ').trim();
  return text === '' ? '(empty body)' : body.length > 200 ? `${text}...` : text;
}

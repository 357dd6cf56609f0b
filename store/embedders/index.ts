/** Text to vectors for text memory: the built-in lexical-v1 and OpenAI-compatible endpoints. */
export type { Embedder } from './embedder.ts';
export { createEmbedder } from './create.ts';
export { LEXICAL_V1, LexicalEmbedder, lexicalVector } from './lexical.ts';
export { createOpenAiEmbedder, OpenAiEmbedder, type OpenAiEmbedderOptions } from './openai.ts';

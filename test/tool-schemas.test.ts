/**
 * Tool input schemas that every major model provider accepts (issue 10, part 3).
 *
 * `tools/list` of the real server (with and without --write) is held to the
 * intersection of OpenAI's strict function calling and Gemini's function
 * declarations, written out below as rules:
 * - no `$schema`, `$ref`, `$defs`, `definitions` or `propertyNames` anywhere;
 * - only these keywords: type (one name), description, properties, required,
 *   additionalProperties, items, enum (of strings), anyOf, minimum, maximum,
 *   minItems, maxItems, pattern. Not minLength/maxLength, format, default,
 *   const, oneOf, allOf, not or type arrays, which one side or the other refuses;
 * - every object lists its properties, all of them in `required` (optional
 *   inputs are nullable), with `additionalProperties: false`;
 * - every property has a description; ids, k and dimensions are integers.
 * Free-form objects (metadata, filter, params) cannot be strict: each is an
 * accepted exception, named below by tool and path, and must be used.
 *
 * The schemas must also say what the server enforces: null stands for an
 * optional input not given, unknown keys are refused, and so on.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { startServer, type McpProcess } from './helpers/mcp.ts';
import { callError, callOk } from './helpers/mcp-http.ts';
import { tempDir } from './helpers/temp.ts';

type Json = Record<string, unknown>;

const ALLOWED = new Set(['type', 'description', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'anyOf', 'minimum', 'maximum', 'minItems', 'maxItems', 'pattern']);
const FORBIDDEN = ['$schema', '$ref', '$defs', 'definitions', 'propertyNames'];
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);

/** Free-form values that strict mode cannot describe, by tool and path ("[]" is an array's items). */
const FREE_FORM: Record<string, string[]> = {
  rvf_ingest: ['entries[].metadata', 'metadata[]'],
  rvf_query: ['filter'],
  rvf_delete_filter: ['filter'],
  rvf_recall: ['filter'],
  rvf_remember: ['metadata', 'entries[].metadata'],
  rvlite_sql: ['params'],
  rvlite_cypher: ['params'],
};

/** Paths whose values are integers (in every branch that is a number). */
const INTEGERS: Record<string, string[]> = {
  rvf_create_store: ['dimensions'],
  rvf_ingest: ['entries[].id', 'ids[]'],
  rvf_query: ['k'],
  rvf_delete: ['ids[]'],
  rvf_recall: ['k'],
};

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every rule broken by one tool's input schema, as "tool path: what" lines; and the free-form paths met. */
function check(tool: string, schema: Json): { problems: string[]; freeForm: Set<string>; numbers: Map<string, string[]> } {
  const problems: string[] = [];
  const freeForm = new Set<string>();
  const numbers = new Map<string, string[]>();
  const fail = (path: string, what: string): void => void problems.push(`${tool} ${path || '(root)'}: ${what}`);

  const walk = (node: unknown, path: string): void => {
    if (!isObject(node)) return fail(path, `not a schema object: ${JSON.stringify(node)}`);
    for (const key of Object.keys(node)) {
      if (FORBIDDEN.includes(key)) fail(path, `has ${key}`);
      else if (!ALLOWED.has(key)) fail(path, `uses ${key}, outside the strict subset`);
    }
    if (Array.isArray(node.anyOf)) {
      if ('type' in node) fail(path, 'has both type and anyOf');
      for (const branch of node.anyOf) walk(branch, path);
      return;
    }
    const type = node.type;
    if (typeof type !== 'string' || !TYPES.has(type)) return fail(path, `type must be one type name, got ${JSON.stringify(type)}`);
    if ('enum' in node && !(Array.isArray(node.enum) && node.enum.every((v) => typeof v === 'string'))) fail(path, 'enum must list strings');
    if (type === 'number' || type === 'integer') numbers.set(path, [...(numbers.get(path) ?? []), type]);
    if (type === 'array') {
      if (!isObject(node.items) || Object.keys(node.items).length === 0) {
        freeForm.add(path);
        return;
      }
      walk(node.items, `${path}[]`);
    }
    if (type === 'object') {
      if (!isObject(node.properties)) {
        freeForm.add(path);
        if ('additionalProperties' in node) fail(path, 'a free-form object should not carry additionalProperties');
        return;
      }
      if (node.additionalProperties !== false) fail(path, 'additionalProperties must be false');
      const keys = Object.keys(node.properties).sort();
      const required = Array.isArray(node.required) ? [...(node.required as string[])].sort() : [];
      if (JSON.stringify(keys) !== JSON.stringify(required)) fail(path, `required ${JSON.stringify(required)} must list every property ${JSON.stringify(keys)}`);
      for (const [name, sub] of Object.entries(node.properties)) {
        const at = path ? `${path}.${name}` : name;
        if (!isObject(sub) || typeof sub.description !== 'string' || sub.description.trim().length < 10) fail(at, 'needs a description that says what to send');
        walk(sub, at);
      }
    }
  };
  walk(schema, '');
  return { problems, freeForm, numbers };
}

let writer: McpProcess;
let reader: McpProcess;
let writerTools: Tool[];
let readerTools: Tool[];

before(async () => {
  const root = tempDir();
  [writer, reader] = await Promise.all([startServer(root, { write: true }), startServer(root)]);
  writerTools = (await writer.client.listTools()).tools;
  readerTools = (await reader.client.listTools()).tools;
});
after(async () => {
  await Promise.all([writer?.close(), reader?.close()]);
});

test('every input schema in tools/list is inside the strict subset, with only the named free-form exceptions', () => {
  const problems: string[] = [];
  for (const [mode, tools] of [['--write', writerTools], ['read-only', readerTools]] as const) {
    for (const tool of tools) {
      const r = check(tool.name, tool.inputSchema as Json);
      problems.push(...r.problems.map((p) => `${mode} ${p}`));
      assert.deepEqual([...r.freeForm].sort(), [...(FREE_FORM[tool.name] ?? [])].sort(), `${mode} ${tool.name}: free-form values`);
      for (const path of INTEGERS[tool.name] ?? []) {
        assert.deepEqual(r.numbers.get(path), ['integer'], `${mode} ${tool.name} ${path} must be typed integer`);
      }
    }
  }
  assert.deepEqual(problems, []);
  // Every named exception and integer path belongs to a listed tool: none is stale.
  for (const name of [...Object.keys(FREE_FORM), ...Object.keys(INTEGERS)]) {
    assert.ok(writerTools.some((t) => t.name === name), `${name} is named here but not listed`);
  }
});

test('the checker refuses what zod writes by default, so the test above can fail', () => {
  const zodDefault = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: {
      k: { type: 'integer', default: 10, description: 'How many results to return' },
      tags: { type: 'object', propertyNames: { type: 'string' }, additionalProperties: {} },
      name: { type: ['string', 'null'], minLength: 1, description: 'A name to look for' },
    },
    required: ['tags'],
  };
  const { problems } = check('example', zodDefault);
  for (const expected of ['has $schema', 'uses default', 'has propertyNames', 'type must be one type name', 'uses minLength', 'additionalProperties must be false', 'must list every property', 'needs a description']) {
    assert.ok(problems.some((p) => p.includes(expected)), `the checker missed "${expected}": ${problems.join('; ')}`);
  }
});

test('the listing is what the server enforces: null means not given, unknown keys and wrong shapes are refused', async () => {
  const c = writer.client;
  const created = await callOk<{ metric: string }>(c, 'rvf_create_store', { store: 'enforced', dimensions: 2, metric: null });
  assert.equal(created.metric, 'cosine', 'a null metric is the default');
  await callOk(c, 'rvf_ingest', { store: 'enforced', entries: [{ id: 1, vector: [1, 0], metadata: null }, { id: '2', vector: [0, 1], metadata: { a: 1 } }] });
  const hits = await callOk<{ results: { id: number; metadata: unknown }[] }>(c, 'rvf_query', { store: 'enforced', vector: [1, 0.1], k: null, filter: null });
  assert.deepEqual(hits.results.map((h) => h.id), [1, 2], 'null k means 10 and null filter means none');
  assert.equal(hits.results[0]?.metadata, null);
  // Left out entirely, for clients that never read the schema.
  assert.equal((await callOk<{ results: unknown[] }>(c, 'rvf_query', { store: 'enforced', vector: [1, 0] })).results.length, 2);

  assert.match(await callError(c, 'rvf_query', { store: 'enforced', vector: [1, 0], filters: { a: 1 } }), /filters/, 'a misspelt key is refused, not ignored');
  assert.match(await callError(c, 'rvf_query', { store: 'enforced', vector: [1, 0], k: 2.5 }), /k must be an integer/);
  assert.match(await callError(c, 'rvf_delete', { store: 'enforced', ids: [1.5] }), /an id is an integer/);
  assert.match(await callError(c, 'rvf_delete', { store: 'enforced', ids: [2 ** 53] }), /decimal string/);
  assert.match(await callError(c, 'rvlite_cypher', { store: 'enforced', query: 'RETURN $x', params: [1] }), /params must be an object/);
  assert.match(await callError(c, 'rvlite_sparql', { store: 'enforced', query: 'ASK {}', params: {} }), /params/);
  assert.match(await callError(c, 'rvlite_sql', { store: 'enforced', query: '' }), /query must not be empty/);
  assert.match(await callError(c, 'rvf_remember', { store: 'mem', text: 'a', entries: [{ text: 'b', metadata: null }] }), /not both/);
  await callOk(c, 'rvf_remember', { store: 'mem', text: 'a note', metadata: null, entries: null });
  assert.deepEqual((await callOk<{ rows: unknown[][] }>(c, 'rvlite_cypher', { store: 'enforced', query: 'RETURN $x AS x', params: { x: 3 } })).rows, [[3]]);
  assert.deepEqual((await callOk<{ rows: unknown[][] }>(c, 'rvlite_sql', { store: 'enforced', query: 'SELECT 1', params: null })).rows, [[1]]);
});

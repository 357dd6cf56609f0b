import type { SourceNode, SourceQuad, SourceRel } from './source-types.ts';
import { iriTerm, rvliteTerm } from './rdf-terms.ts';

/**
 * rvlite's graph and triples as plain rows. Both rvlite shapes are read:
 * the Rust core's arrays of tagged values, and the CLI's maps keyed by id.
 */

const PV_TYPES = new Set(['null', 'boolean', 'integer', 'float', 'string', 'list', 'map']);

/** A property value: rvlite's PV ({type: "Integer", value: 3}) unwrapped; other JSON as is. */
export function fromPV(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(fromPV);
  const o = v as Record<string, unknown>;
  const type = typeof o['type'] === 'string' ? (o['type'] as string).toLowerCase() : undefined;
  const keys = Object.keys(o);
  if (type && PV_TYPES.has(type) && keys.every((k) => k === 'type' || k === 'value')) {
    if (type === 'null') return null;
    if (type === 'list') return Array.isArray(o['value']) ? (o['value'] as unknown[]).map(fromPV) : [];
    if (type === 'map') return fromProps(o['value']);
    return o['value'] ?? null;
  }
  return fromProps(o);
}

export function fromProps(p: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p && typeof p === 'object' && !Array.isArray(p)) {
    for (const [k, v] of Object.entries(p as Record<string, unknown>)) out[k] = fromPV(v);
  }
  return out;
}

/** Items of a collection that is an array, or an object keyed by id (the id filled in from the key). */
function items(c: unknown): Record<string, unknown>[] {
  if (Array.isArray(c)) return c.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object');
  if (c && typeof c === 'object') {
    return Object.entries(c as Record<string, unknown>)
      .filter(([, x]) => x !== null && typeof x === 'object')
      .map(([key, x]) => ({ id: key, ...(x as Record<string, unknown>) }));
  }
  return [];
}

function pick(o: Record<string, unknown>, names: string[]): unknown {
  for (const n of names) if (o[n] !== undefined && o[n] !== null) return o[n];
  return undefined;
}

export function readGraph(graph: unknown, skipped: string[]): { nodes: SourceNode[]; rels: SourceRel[] } {
  if (!graph || typeof graph !== 'object') return { nodes: [], rels: [] };
  const g = graph as Record<string, unknown>;
  const nodes: SourceNode[] = [];
  let badNodes = 0;
  for (const n of items(g['nodes'])) {
    const id = n['id'];
    if (typeof id !== 'string' && typeof id !== 'number') {
      badNodes++;
      continue;
    }
    const rawLabels = pick(n, ['labels', 'label']);
    const labels = (Array.isArray(rawLabels) ? rawLabels : rawLabels === undefined ? [] : [rawLabels]).map(String);
    nodes.push({ sourceId: String(id), labels: [...new Set(labels)], props: fromProps(pick(n, ['properties', 'props'])) });
  }
  const rels: SourceRel[] = [];
  let badRels = 0;
  for (const e of items(pick(g, ['edges', 'relationships', 'rels']))) {
    const from = pick(e, ['from', 'source', 'src', 'start']);
    const to = pick(e, ['to', 'target', 'dst', 'end']);
    const type = pick(e, ['edge_type', 'type', 'label', 'rel_type']);
    if ((typeof from !== 'string' && typeof from !== 'number') || (typeof to !== 'string' && typeof to !== 'number') || typeof type !== 'string') {
      badRels++;
      continue;
    }
    rels.push({ sourceId: String(e['id'] ?? ''), type, from: String(from), to: String(to), props: fromProps(pick(e, ['properties', 'props'])) });
  }
  if (badNodes > 0) skipped.push(`${badNodes} graph node(s) without an id`);
  if (badRels > 0) skipped.push(`${badRels} graph edge(s) without from, to or type`);
  return { nodes, rels };
}

/**
 * Triples as quads. The Rust core's `{triples: [{id, ...}], default_graph:
 * [ids], named_graphs: {iri: [ids]}}` puts a triple in every graph listing its
 * id (in the default graph when none does); the CLI's array of
 * `{subject, predicate, object, graph?}` goes to the default graph unless it names one.
 */
export function readTriples(triples: unknown, skipped: string[]): SourceQuad[] {
  let list: Record<string, unknown>[];
  const graphsOf = new Map<string, string[]>();
  if (Array.isArray(triples)) {
    list = items(triples);
  } else if (triples && typeof triples === 'object') {
    const t = triples as Record<string, unknown>;
    list = items(t['triples']);
    const add = (id: unknown, g: string): void => {
      const key = String(id);
      graphsOf.set(key, [...(graphsOf.get(key) ?? []), g]);
    };
    if (Array.isArray(t['default_graph'])) for (const id of t['default_graph']) add(id, '');
    const named = t['named_graphs'];
    if (named && typeof named === 'object') {
      for (const [iri, ids] of Object.entries(named as Record<string, unknown>)) {
        let g: string;
        try {
          g = iri.startsWith('_:') ? rvliteTerm(iri, 'subject') : iriTerm(iri.startsWith('<') && iri.endsWith('>') ? iri.slice(1, -1) : iri);
        } catch {
          skipped.push(`named graph ${JSON.stringify(iri)}: not a valid IRI, its triples went to the default graph`);
          continue;
        }
        if (Array.isArray(ids)) for (const id of ids) add(id, g);
      }
    }
  } else {
    return [];
  }
  const quads: SourceQuad[] = [];
  const seen = new Set<string>();
  let bad = 0;
  let firstBad = '';
  for (const t of list) {
    let s: string, p: string, o: string;
    try {
      s = rvliteTerm(t['subject'], 'subject');
      p = rvliteTerm(t['predicate'], 'predicate');
      o = rvliteTerm(t['object'], 'object');
    } catch (err) {
      if (bad++ === 0) firstBad = (err as Error).message;
      continue;
    }
    const named = t['graph'] === undefined || t['graph'] === null || t['graph'] === '' ? undefined : t['graph'];
    let graphs = graphsOf.get(String(t['id'])) ?? [''];
    if (named !== undefined) {
      try {
        graphs = [rvliteTerm(named, 'subject')];
      } catch (err) {
        if (bad++ === 0) firstBad = (err as Error).message;
        continue;
      }
    }
    for (const g of new Set(graphs)) {
      const key = `${s} ${p} ${o} ${g}`;
      if (seen.has(key)) continue;
      seen.add(key);
      quads.push({ s, p, o, g });
    }
  }
  if (bad > 0) skipped.push(`${bad} triple(s) with a term that is not valid RDF (first: ${firstBad})`);
  return quads;
}

/**
 * Failure reasons, worded so that failures with one cause group together
 * in the report: an engine's error message loses what is specific to the
 * query (long quoted text, variable names, numbers) and keeps what names
 * the construct.
 */
export function errorReason(message: string): string {
  let m = (message.split('\n')[0] ?? '').replace(/^Cypher: /, '');
  // rvf's messages say what is wrong, then "; " and what to do instead.
  m = m.split('; ')[0] ?? m;
  // Quoted words (a clause, a function name) stay; quoted query text goes.
  m = m.replace(/"([^"]*)"/g, (_all, s: string) => (/^[\w.]{1,20}$/.test(s) ? `"${s}"` : '"…"'));
  m = m.replace(/'([^']*)'/g, (_all, s: string) => (/^[\w.]{1,20}$/.test(s) ? `'${s}'` : "'…'"));
  m = m.replace(/\bvariable (?!(in|is|of|to|as|inside)\b)['`]?[A-Za-z_][A-Za-z0-9_]*['`]?/g, 'variable …');
  m = m.replace(/\bto [A-Za-z_][A-Za-z0-9_]*, which\b/g, 'to …, which');
  m = m.replace(/\bat \d+:\d+/g, 'at …');
  m = m.replace(/\b\d+(\.\d+)?\b/g, 'N');
  return m.length > 140 ? `${m.slice(0, 139)}…` : m;
}

const TEMPORAL_FUNCTION = /^the function (date|datetime|localdatetime|time|localtime|duration)(\.\w+)?\(\) is not supported$/;

/**
 * A coarser grouping of reasons, to prioritise work: a construct refused in
 * setup or in the query under test is one cause; the temporal functions are
 * one feature; so are the list predicates.
 */
export function reasonFamily(reason: string): string {
  const r = reason.replace(/^(error|setup failed): /, '');
  if (TEMPORAL_FUNCTION.test(r)) return 'unsupported: temporal values and functions (date, datetime, localdatetime, time, localtime, duration and their methods)';
  if (/^(all|any|none|single)\(\) is not supported$/.test(r)) return 'unsupported: list predicates all() / any() / none() / single()';
  if (/^expected \w+ \(.*\), the query ran$/.test(r)) return 'expected an error (the TCK names it), the query ran';
  const m = /^(.*) is not supported$/.exec(r);
  return m ? `unsupported: ${m[1]}` : r;
}

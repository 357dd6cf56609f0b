// `npm run check:wasm`: the server, the CLI and the page must all resolve a single
// @ruvector/rvf-wasm. Fails when node_modules holds more than one copy of its .wasm
// artifact, or the page bundle (dist/inspector) holds other than one .wasm.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, test, out = []) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) find(path, test, out);
    else if (test(e.name)) out.push(path);
  }
  return out;
}

const installed = find('node_modules', (name) => name === 'rvf_wasm_bg.wasm');
const bundled = find(join('dist', 'inspector'), (name) => name.endsWith('.wasm'));
const problems = [];
if (installed.length !== 1) problems.push(`node_modules holds ${installed.length} copies of rvf_wasm_bg.wasm (${installed.join(', ')}); dedupe @ruvector/rvf-wasm to one version`);
if (bundled.length !== 1) problems.push(`the page bundle holds ${bundled.length} .wasm files (${bundled.join(', ')}); it must carry exactly the one engine`);
if (problems.length > 0) {
  for (const p of problems) console.error(`check:wasm: ${p}`);
  process.exit(1);
}
console.log(`check:wasm: one rvf-wasm artifact: ${installed[0]} and ${bundled[0]}`);

import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

/**
 * Bundles the inspector page for browsers: `rvf-browser.ts` (RvfBytes and the
 * engine loader, shared with Node) and `inspector.ts` (the page), as ESM in
 * dist/inspector/, with the engine's .wasm copied once beside them and the
 * page's .html/.css. Run: node --import tsx server/inspector/build.ts [--outdir dir]
 *
 * The shared code reaches Node in three places, each replaced here:
 * node:zlib (crc32) and node:crypto (sha256) by shims, the global Buffer by the
 * `buffer` package; wasm/load-node.ts by a loader that fetches the .wasm. Any
 * other Node-only module fails the build, naming who imported it: shipping it
 * would break the page at run time, far from the cause.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const PAGE = join(HERE, 'page');
const SHIMS = join(PAGE, 'shims');
export const WASM_FILE = 'rvf_wasm_bg.wasm';

const SHIMMED: Record<string, string> = {
  'node:zlib': join(SHIMS, 'zlib.ts'),
  'node:crypto': join(SHIMS, 'crypto.ts'),
};

/** Modules that cannot run in a browser: Node built-ins and packages built on them. */
const NODE_ONLY = /^(node:.*|fs|fs\/promises|path|os|module|crypto|zlib|url|util|stream|events|child_process|worker_threads|net|http|https|tls|dns|readline|better-sqlite3|bindings|oxigraph|@ruvector\/rvf|@ruvector\/rvf-node|@modelcontextprotocol\/.*)$/;
/** The rvf-wasm glue imports these only when it must find its .wasm alone in Node; we always pass it. */
const GLUE = /@ruvector[\\/]rvf-wasm[\\/]pkg[\\/]rvf_wasm\.js$/;

function browserOnly(): Plugin {
  return {
    name: 'browser-only',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        const shim = SHIMMED[args.path];
        if (shim) return { path: shim };
        if (/[\\/]wasm[\\/]load-node\.ts$/.test(resolve(args.resolveDir, args.path))) return { path: join(SHIMS, 'load-wasm.ts') };
        if (NODE_ONLY.test(args.path)) {
          if (GLUE.test(args.importer) && args.kind === 'dynamic-import') return { path: join(SHIMS, 'unreachable.ts') };
          return { errors: [{ text: `Node-only module "${args.path}" imported by ${args.importer} would end up in the browser bundle` }] };
        }
        return undefined;
      });
    },
  };
}

export interface BuildResult {
  outdir: string;
  files: string[];
}

export async function buildInspector(options: { outdir?: string; entries?: string[] } = {}): Promise<BuildResult> {
  const outdir = resolve(options.outdir ?? join(ROOT, 'dist/inspector'));
  const entries = options.entries ?? [join(PAGE, 'rvf-browser.ts'), join(PAGE, 'inspector.ts')];
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: entries,
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // One shared chunk, so the page and rvf-browser.js share one engine and one copy of the store code.
    splitting: true,
    chunkNames: 'chunk-[hash]',
    inject: [join(SHIMS, 'buffer.ts')],
    plugins: [browserOnly()],
    logLevel: 'silent',
  });
  // The .wasm once, by name: the loader fetches it next to the bundle.
  const require = createRequire(import.meta.url);
  copyFileSync(require.resolve('@ruvector/rvf-wasm/wasm'), join(outdir, WASM_FILE));
  for (const f of readdirSync(PAGE)) if (/\.(html|css)$/.test(f)) copyFileSync(join(PAGE, f), join(outdir, f));
  const files = readdirSync(outdir).sort();
  checkOutput(outdir, files);
  return { outdir, files };
}

/** What the bundle must be, checked on the files: one .wasm, and no import left that a browser cannot load. */
function checkOutput(outdir: string, files: string[]): void {
  const wasm = files.filter((f) => f.endsWith('.wasm'));
  if (wasm.length !== 1) throw new Error(`${outdir} holds ${wasm.length} .wasm files (${wasm.join(', ')}); the engine must ship exactly once`);
  for (const f of files.filter((x) => x.endsWith('.js'))) {
    const text = readFileSync(join(outdir, f), 'utf8');
    const bad = /\b(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'](node:[^"']+|fs|path|os|module|better-sqlite3)["']/.exec(text);
    if (bad) throw new Error(`${f} still imports ${bad[1]}: a Node-only module got into the browser bundle`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const at = process.argv.indexOf('--outdir');
  const outdir = at > 0 ? process.argv[at + 1] : undefined;
  buildInspector(outdir ? { outdir } : {}).then(
    (r) => console.log(`built ${r.outdir}: ${r.files.join(' ')}`),
    (err: unknown) => {
      console.error(`inspector build failed: ${(err as Error).message}`);
      process.exitCode = 1;
    },
  );
}

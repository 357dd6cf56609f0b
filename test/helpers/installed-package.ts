/**
 * The package as a user gets it: `npm pack` of this checkout, installed with
 * npm into a fresh folder, and commands run from that folder with an
 * environment that cannot see the checkout (no npm_* variables from the
 * `npm test` that started us, no node_modules/.bin of the checkout on PATH).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Installed {
  /** The consumer folder: its node_modules holds the installed package. */
  app: string;
  /** node_modules/rvf-mcp-server inside it. */
  packageDir: string;
  /** Paths in the tarball, as `npm pack --json` lists them. */
  tarballFiles: string[];
  /** What `npm install` printed on stderr (its warnings). */
  installStderr: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a user's shell: ours without npm's per-script variables and without the checkout on PATH. */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^npm_/i.test(k) || k === 'NODE_OPTIONS' || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  const root = resolve(PACKAGE_ROOT);
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => p !== '' && !resolve(p).startsWith(root))
    .join(delimiter);
  return { ...env, ...extra };
}

/** Runs a command to its end; never throws on a non-zero exit (the caller asserts on it). */
export function run(command: string, args: string[], cwd: string, options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      command,
      args,
      { cwd, env: options.env ?? userEnv(), maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 300_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(new Error(`${command} ${args.join(' ')} could not run: ${err.message}\n${stderr}`));
        resolvePromise({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/**
 * better-sqlite3's own install step (prebuild-install) takes a prebuilt binary
 * from a local folder when one of the right name is there: this offers it the
 * one `npm ci` already compiled for this checkout, so the tarball's install
 * does not compile the same source again (about 90 s, and both cores). Only
 * for the very version the checkout has: any other version is not in the
 * folder, and compiles from source as it would for a user.
 */
async function compiledBetterSqlite3(dir: string): Promise<Record<string, string>> {
  const source = join(PACKAGE_ROOT, 'node_modules', 'better-sqlite3');
  const binary = join(source, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(binary)) return {};
  const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { version: string };
  const folder = join(dir, 'prebuilds');
  mkdirSync(folder);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const packed = await run('tar', ['-czf', join(folder, name), '-C', source, 'build/Release/better_sqlite3.node'], dir);
  assert.equal(packed.code, 0, `tar failed: ${packed.stderr}`);
  return { npm_config_better_sqlite3_local_prebuilds: folder };
}

/**
 * Packs the checkout (its dist/ as `npm test` just built it: --ignore-scripts
 * skips the prepack build that `npm publish` runs) and installs the tarball
 * plus `extraPackages` into `<dir>/app`, reusing the npm cache and the
 * checkout's compiled better-sqlite3 (compiledBetterSqlite3).
 */
export async function packAndInstall(dir: string, extraPackages: string[] = []): Promise<Installed> {
  for (const built of ['dist/server/main.js', 'dist/server/rvf-cli.js', 'dist/store/index.js', 'dist/inspector/index.html']) {
    assert.ok(existsSync(join(PACKAGE_ROOT, built)), `${built} is missing: run npm run build first`);
  }
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], PACKAGE_ROOT);
  assert.equal(packed.code, 0, `npm pack failed:\n${packed.stderr}`);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  assert.ok(info, 'npm pack --json printed nothing');

  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'rvf-consumer', private: true, type: 'module' }, null, 2));
  const installed = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, info.filename), ...extraPackages], app, {
    env: userEnv(await compiledBetterSqlite3(dir)),
    timeoutMs: 600_000,
  });
  assert.equal(installed.code, 0, `npm install of the tarball failed:\n${installed.stderr}`);
  return {
    app,
    packageDir: join(app, 'node_modules', 'rvf-mcp-server'),
    tarballFiles: info.files.map((f) => f.path),
    installStderr: installed.stderr,
  };
}

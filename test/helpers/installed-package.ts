/**
 * The package as a user gets it: `npm pack` of this checkout, installed with
 * npm into a fresh folder, and commands run from that folder with an
 * environment that cannot see the checkout (no npm_* variables from the
 * `npm test` that started us, no node_modules/.bin of the checkout on PATH).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
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
 * Packs the checkout (its dist/ as `npm test` just built it: --ignore-scripts
 * skips the prepack build that `npm publish` runs) and installs the tarball
 * plus `extraPackages` into `<dir>/app`. The npm cache is reused; better-sqlite3
 * compiles once here, as it does for a user.
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

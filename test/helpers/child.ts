import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Starts a TypeScript fixture in a child process. It spawns node itself with
 * this process's --import tsx flags rather than the tsx binary, because tsx
 * runs the script in a second process that a SIGKILL to the child would miss.
 */
export function spawnFixture(name: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const script = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
  return spawn(process.execPath, [...process.execArgv, script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
}

/** Collects a child's stdout lines; resolves with its exit code (or signal) and output. */
export function finished(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** Resolves when the child prints a line that starts with `prefix`; returns that line. */
export function waitForLine(child: ChildProcess, prefix: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no line starting with ${prefix} within ${timeoutMs} ms`)), timeoutMs);
    const onData = (d: Buffer): void => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith(prefix)) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          resolve(line);
          return;
        }
      }
    };
    child.stdout?.on('data', onData);
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`child exited before printing ${prefix}`));
    });
  });
}

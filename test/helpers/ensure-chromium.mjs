// Run by `npm test` before the tests: the browser tests drive Debian's Chromium at
// /usr/bin/chromium (never a downloaded browser). On a fresh Debian machine it is
// installed here with apt-get (as root, or through sudo), so `npm test` works there
// as it is; anywhere it cannot be, this says how and stops.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  const root = process.getuid?.() === 0;
  const run = (args) => execFileSync(root ? args[0] : 'sudo', root ? args.slice(1) : args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    console.error('npm test: installing Debian\'s chromium for the browser tests (apt-get install -y chromium)');
    run(['apt-get', 'update', '-qq']);
    run(['apt-get', 'install', '-y', '-qq', 'chromium']);
  } catch (err) {
    console.error(`npm test: the browser tests need ${CHROMIUM}, and installing it failed (${err.message}); run: sudo apt-get install -y chromium`);
    process.exit(1);
  }
}

/**
 * `npm run bench:startup`: how fast the `sagetune` command starts. Runs `node bin/sagetune.js --version` 10 times
 * (after a warm-up run, which also rebuilds dist/ if a source is newer) and `node -e 0` as often, for the floor
 * that Node itself sets, each under GNU time (/usr/bin/time) for wall-clock and CPU (user + system) seconds.
 * Prints the medians and writes bench/results/startup.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const RUNS = 10;

interface Sample {
  readonly wall: number;
  readonly cpu: number;
}

function measure(args: string[]): Sample {
  const result = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S', process.execPath, ...args], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${String(result.status)}: ${result.stderr}`);
  const [wall, user, system] = /TIME (\S+) (\S+) (\S+)/.exec(result.stderr)!.slice(1).map(Number);
  return { wall, cpu: user + system };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function series(args: string[]): Sample[] {
  measure(args);
  return Array.from({ length: RUNS }, () => measure(args));
}

const load = os.loadavg()[0];
const cli = series(['bin/sagetune.js', '--version']);
const bare = series(['-e', '0']);
const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
const row = (name: string, s: Sample[]): string =>
  `| ${name} | ${median(s.map((x) => x.wall)).toFixed(2)} s | ${Math.min(...s.map((x) => x.wall)).toFixed(2)}–${Math.max(...s.map((x) => x.wall)).toFixed(2)} s | ${median(s.map((x) => x.cpu)).toFixed(2)} s |`;
const md = `# Startup of the sagetune command

\`npm run bench:startup\` at ${rev}, ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; load average ${load.toFixed(1)} when it started. ${RUNS} runs each after a warm-up run; GNU time's resolution is 10 ms.

| command | median wall | range | median CPU (user + system) |
|---|---:|---:|---:|
${row('`sagetune --version` (`node bin/sagetune.js --version`)', cli)}
${row('`node -e 0` (Node alone)', bare)}
`;
console.log(md);
fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'startup.md'), md);

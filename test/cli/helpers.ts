/** Test helpers: run the CLI in-process with captured output, and make request files in a temporary folder. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';

export const FIXTURES = join(__dirname, 'fixtures');
export const TRAIN_SCRIPT = join(FIXTURES, 'train.js');

/** The fixture request (a 6-trial study of train.js), as JSON to modify. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests reach into nested request fields freely
export function baseRequest(): Record<string, any> {
  return JSON.parse(readFileSync(join(FIXTURES, 'request.json'), 'utf8'));
}

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestIo {
  io: CliIo;
  stdout(): string;
  stderr(): string;
  /** The signal handlers the CLI registered (to simulate Ctrl-C). */
  handlers: Map<string, () => void>;
  exits: number[];
}

export function testIo(options: { stdin?: string; now?: () => number; env?: NodeJS.ProcessEnv } = {}): TestIo {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (d) => out.push(String(d)));
  stderr.on('data', (d) => err.push(String(d)));
  const stdin = new PassThrough();
  stdin.end(options.stdin ?? '');
  const handlers = new Map<string, () => void>();
  const exits: number[] = [];
  const io: CliIo = {
    stdout,
    stderr,
    stdin,
    env: options.env ?? {},
    now: options.now ?? Date.now,
    exit: ((code: number) => {
      exits.push(code);
      throw new Error(`exit ${code}`);
    }) as (code: number) => never,
    onSignal: (signal, handler) => {
      handlers.set(signal, handler);
      return () => handlers.delete(signal);
    },
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join(''), handlers, exits };
}

/** Runs the CLI in-process and returns its exit code and output. */
export async function cli(argv: string[], options: Parameters<typeof testIo>[0] = {}): Promise<Captured> {
  const t = testIo(options);
  const code = await runCli(argv, t.io);
  return { code, stdout: t.stdout(), stderr: t.stderr() };
}

/** A temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'sagetune-cli-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a request (object or raw text) into `dir` and returns its path. */
export function writeRequest(dir: string, request: unknown, file = 'request.json'): string {
  const path = join(dir, file);
  writeFileSync(path, typeof request === 'string' ? request : JSON.stringify(request, null, 2));
  return path;
}

/** What a command reads and writes, injectable so that tests run the CLI in-process. */
import { resolve } from 'node:path';
import { DEFAULT_STUDY_ROOT, FileStudyStore } from '../study/store/file-store';
import { StudyNotFoundError } from '../study/errors';
import type { Study } from '../study/types';
import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from './errors';

export type OutStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface CliIo {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Ends the process at once (the second Ctrl-C). */
  readonly exit: (code: number) => never;
  /** Registers and removes signal handlers (process.on/off in the real CLI). */
  readonly onSignal: (signal: 'SIGINT' | 'SIGTERM', handler: () => void) => () => void;
}

/** Codes of a write to a reader that has gone away (`sagetune results | head`), or of the writes after it. */
const CLOSED_OUTPUT = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

export function processIo(): CliIo {
  // When the reader of the output stops early, what remains has nowhere to go: it is dropped, and the command
  // finishes as it would have (a running study keeps running), instead of dying on an EPIPE stack trace.
  // Any other failure to write (a full disk, an I/O error) is reported on standard error when that is not the
  // stream that failed, and fails the command.
  let reported = false;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (CLOSED_OUTPUT.has(err.code ?? '')) return;
      process.exitCode = 1;
      if (stream === process.stdout && !reported) {
        reported = true;
        process.stderr.write(`sagetune: cannot write the output: ${err.message}\n`);
      }
    });
  }
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    now: Date.now,
    exit: (code) => process.exit(code),
    onSignal: (signal, handler) => {
      process.on(signal, handler);
      return () => process.off(signal, handler);
    },
  };
}

const STUDY_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$/;

/** A study found on disk: its store, name and folder. */
export interface StudyRef {
  readonly store: FileStudyStore;
  readonly name: string;
  readonly dir: string;
  readonly study: Study;
}

/**
 * Finds a study from what the user typed: a study name (looked up under `storeDir`, default
 * `.sagetune/studies`), a study folder, or its study.json. Throws StudyNotFoundError listing the studies that
 * do exist there.
 */
export async function openStudyRef(ref: string, storeDir: string | undefined): Promise<StudyRef> {
  let root = storeDir ?? DEFAULT_STUDY_ROOT;
  let name = ref;
  const asPath = resolve(ref);
  if (existsSync(asPath)) {
    const dir = statSync(asPath).isDirectory() ? asPath : dirname(asPath);
    if (existsSync(join(dir, 'study.json'))) {
      root = dirname(dir);
      name = basename(dir);
    }
  }
  if (!STUDY_NAME.test(name)) {
    throw new UsageError(
      `${JSON.stringify(ref)} is neither a study folder nor a study name (1 to 32 letters, digits and hyphens, as HyperParameterTuningJobName)`,
    );
  }
  const store = new FileStudyStore({ root });
  const found = await store.read(name);
  if (!found) {
    const others = await store.list();
    const hint =
      others.length > 0
        ? ` (studies there: ${others.slice(0, 10).join(', ')}${others.length > 10 ? ', ...' : ''})`
        : existsSync(store.root)
          ? ' (no studies there yet)'
          : ' (that folder does not exist)';
    throw new StudyNotFoundError(name, `${store.root}${hint}; give a study name, a study folder, or --store-dir`);
  }
  return { store, name, dir: store.studyDirectory(name), study: found.value };
}

/** Writes an output file (report, results); a path that cannot be written is the user's mistake (exit code 2). */
export async function writeOutputFile(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why: Record<string, string> = {
      ENOENT: 'its folder does not exist',
      EACCES: 'permission denied',
      EISDIR: 'it is a folder',
      ENOTDIR: 'a part of the path is not a folder',
      EROFS: 'the file system is read-only',
    };
    if (code && why[code]) throw new UsageError(`cannot write ${file}: ${why[code]}`);
    throw err;
  }
}

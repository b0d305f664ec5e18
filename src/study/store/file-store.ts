/**
 * The file study store: one folder per study under a root (`.sagetune/studies` by default).
 *
 * ```
 * <root>/<study>/study.json        { "revision": n, "study": { ... } }   the study; n is its version token
 * <root>/<study>/lock              { pid, host, acquiredAt, token }      held by the runner driving the study
 * <root>/<study>/trials/<job>/     one folder per trial attempt, for the backend (logs, model, output)
 * ```
 *
 * Writes are atomic (a temporary file is written, flushed with fsync and renamed over study.json, then the folder
 * is flushed) and conditional: a short write lock (`.write-lock`, held only while comparing and renaming) makes
 * compare-and-swap on the revision exact between processes, so `write(study, version)` fails with
 * StudyConflictError when anyone wrote since `version` was read. Per-trial artifacts stay out of study.json.
 *
 * The runner lock (`acquireLock`) is a file created exclusively. A lock whose process is dead (same host, pid
 * gone) is stale and taken over; a live one, or one from another host, makes `acquireLock` throw
 * StudyLockedError naming its holder and the file to delete if the holder is known to be gone.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { CorruptStudyError, StudyConflictError, StudyError, StudyLockedError, type LockOwner } from '../errors';
import { studyShapeProblem } from '../shape';
import type { Study, StudyLock, StudyStore, Versioned } from '../types';

/** Default root of the file store, relative to the working directory. */
export const DEFAULT_STUDY_ROOT = join('.sagetune', 'studies');

/** A study name usable as a folder name: SageMaker's tuning-job name pattern. */
const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$/;

/** Options of {@link FileStudyStore}. */
export interface FileStudyStoreOptions {
  /** Folder holding the studies. @default '.sagetune/studies' (relative to the working directory) */
  readonly root?: string;
  /** How long a write waits for another process's write lock before failing, in milliseconds. @default 10000 */
  readonly writeLockTimeoutMs?: number;
}

interface StoredFile {
  revision: number;
  study: Study;
}

interface LockFile extends LockOwner {
  token: string;
}

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

/** Whether a process of this host is alive. EPERM means it exists but belongs to someone else. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrno(error, 'EPERM');
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class FileStudyStore implements StudyStore {
  /** Absolute path of the root folder. */
  readonly root: string;
  private readonly writeLockTimeoutMs: number;

  constructor(options: FileStudyStoreOptions = {}) {
    this.root = resolve(options.root ?? DEFAULT_STUDY_ROOT);
    this.writeLockTimeoutMs = options.writeLockTimeoutMs ?? 10_000;
  }

  /** The folder of a study. */
  studyDirectory(name: string): string {
    if (!NAME.test(name)) throw new StudyError(`Invalid study name ${JSON.stringify(name)}: 1 to 32 letters, digits and hyphens`);
    return join(this.root, name);
  }

  /** Path of a study's study.json. */
  studyFile(name: string): string {
    return join(this.studyDirectory(name), 'study.json');
  }

  /** Path of a study's runner lock file. */
  lockFile(name: string): string {
    return join(this.studyDirectory(name), 'lock');
  }

  /**
   * The folder for one attempt of one trial (`<root>/<study>/trials/<job name>`): backends keep logs, model and
   * output there. Not created here.
   */
  trialDirectory(study: string, jobName: string): string {
    if (!/^[a-zA-Z0-9-]+$/.test(jobName)) throw new StudyError(`Invalid job name ${JSON.stringify(jobName)}`);
    return join(this.studyDirectory(study), 'trials', jobName);
  }

  async read(name: string): Promise<Versioned<Study> | undefined> {
    const stored = await this.readFile(name);
    return stored ? { value: stored.study, version: String(stored.revision) } : undefined;
  }

  async write(study: Study, expectedVersion?: string): Promise<string> {
    const dir = this.studyDirectory(study.name);
    await mkdir(dir, { recursive: true });
    const release = await this.writeLock(study.name);
    try {
      const current = await this.readFile(study.name);
      const currentVersion = current ? String(current.revision) : undefined;
      if (currentVersion !== expectedVersion) throw new StudyConflictError(study.name, expectedVersion, currentVersion);
      const revision = (current?.revision ?? 0) + 1;
      const content: StoredFile = { revision, study };
      await this.atomicWrite(this.studyFile(study.name), `${JSON.stringify(content, null, 2)}\n`);
      return String(revision);
    } finally {
      await release();
    }
  }

  async list(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.root);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return [];
      throw error;
    }
    const names: string[] = [];
    for (const entry of entries.sort()) {
      if (!NAME.test(entry)) continue;
      try {
        await stat(join(this.root, entry, 'study.json'));
        names.push(entry);
      } catch (error) {
        if (!isErrno(error, 'ENOENT')) throw error;
      }
    }
    return names;
  }

  /**
   * The runner that drives a study now: the holder of its lock when that process is alive (or on another host,
   * where its liveness cannot be checked); undefined when no runner holds it (none started, or it ended or died).
   */
  async runner(name: string): Promise<LockOwner | undefined> {
    const holder = await this.readLock(this.lockFile(name));
    if (!holder || (holder.host === hostname() && !processAlive(holder.pid))) return undefined;
    return { pid: holder.pid, host: holder.host, acquiredAt: holder.acquiredAt };
  }

  async acquireLock(name: string): Promise<StudyLock> {
    const path = this.lockFile(name);
    await mkdir(this.studyDirectory(name), { recursive: true });
    const mine: LockFile = { pid: process.pid, host: hostname(), acquiredAt: new Date().toISOString(), token: randomBytes(8).toString('hex') };
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await this.createExclusive(path, JSON.stringify(mine))) {
        return { release: () => this.releaseLock(path, mine.token) };
      }
      const holder = await this.readLock(path);
      if (holder === undefined) {
        // Released meanwhile: try again; or left unreadable by a process killed while creating it: break it.
        if (await this.unreadableAndOld(path)) await this.breakStaleLock(path, undefined);
        continue;
      }
      if (holder.host !== mine.host || processAlive(holder.pid)) throw new StudyLockedError(name, holder, path);
      await this.breakStaleLock(path, holder.token);
    }
    throw new StudyLockedError(name, await this.readLock(path), path);
  }

  // -------------------------------------------------------------------------------------------------------------

  private async readFile(name: string): Promise<StoredFile | undefined> {
    let text: string;
    try {
      text = await readFile(this.studyFile(name), 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as StoredFile;
      if (typeof parsed.revision !== 'number' || typeof parsed.study !== 'object' || parsed.study === null) throw new Error('missing revision or study');
      const problem = studyShapeProblem(parsed.study);
      if (problem) throw new Error(problem);
      return parsed;
    } catch (error) {
      throw new CorruptStudyError(this.studyFile(name), (error as Error).message, { cause: error });
    }
  }

  private async atomicWrite(path: string, content: string): Promise<void> {
    const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    // Owner-only: the study document keeps the request, Environment values (secrets) included.
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await this.syncDirectory(join(path, '..'));
  }

  private async syncDirectory(dir: string): Promise<void> {
    let handle;
    try {
      handle = await open(dir, fsConstants.O_RDONLY);
      await handle.sync();
    } catch {
      // Some platforms cannot fsync a directory; the rename is still atomic.
    } finally {
      await handle?.close();
    }
  }

  /**
   * Creates a file with its content only if it does not exist; false when it does. The content is written to a
   * temporary file first and hard-linked into place (link fails when the name exists), so that the file never exists
   * empty: a process killed mid-way leaves either no lock or a whole one (which names a dead process: stale), never
   * an unreadable lock that no one could judge. A leftover temporary file is harmless.
   */
  private async createExclusive(path: string, content: string): Promise<boolean> {
    const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, path);
      return true;
    } catch (error) {
      if (isErrno(error, 'EEXIST')) return false;
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
  }

  private async readLock(path: string): Promise<LockFile | undefined> {
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as LockFile;
      return typeof parsed.pid === 'number' && typeof parsed.host === 'string' ? parsed : undefined;
    } catch (error) {
      if (isErrno(error, 'ENOENT') || error instanceof SyntaxError) return undefined;
      throw error;
    }
  }

  private async releaseLock(path: string, token: string): Promise<void> {
    const holder = await this.readLock(path);
    if (holder?.token === token) await unlink(path).catch((error: unknown) => (isErrno(error, 'ENOENT') ? undefined : Promise.reject(error)));
  }

  /**
   * Removes a stale lock, but only the one that was judged stale: breakers serialize on `<lock>.break`, and the
   * lock is removed only if it still holds the stale token (another process may have taken it over meanwhile).
   */
  private async breakStaleLock(path: string, staleToken: string | undefined): Promise<void> {
    const breaker = `${path}.break`;
    if (!(await this.createExclusive(breaker, String(process.pid)))) {
      // Another process is breaking it; a breaker file older than 10 s belongs to a process that died doing so.
      const age = await stat(breaker).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 10_000) await rm(breaker, { force: true });
      await sleep(20);
      return;
    }
    try {
      const holder = await this.readLock(path);
      // An unreadable lock (staleToken undefined) is removed only if it is still unreadable and old.
      const stale = staleToken === undefined ? holder === undefined && (await this.unreadableAndOld(path)) : holder?.token === staleToken;
      if (stale) await rm(path, { force: true });
    } finally {
      await rm(breaker, { force: true });
    }
  }

  /**
   * True for a lock file that exists, cannot be read and is over 2 s old: left empty by an older sagetune killed
   * while creating it (this one creates locks whole, see {@link createExclusive}).
   */
  private async unreadableAndOld(path: string): Promise<boolean> {
    if ((await this.readLock(path)) !== undefined) return false;
    return stat(path).then(
      (s) => Date.now() - s.mtimeMs > 2_000,
      () => false,
    );
  }

  /** The short write lock of one study: held while comparing the revision and renaming. */
  private async writeLock(name: string): Promise<() => Promise<void>> {
    const path = join(this.studyDirectory(name), '.write-lock');
    const mine: LockFile = { pid: process.pid, host: hostname(), acquiredAt: new Date().toISOString(), token: randomBytes(8).toString('hex') };
    const deadline = Date.now() + this.writeLockTimeoutMs;
    for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
      if (await this.createExclusive(path, JSON.stringify(mine))) return () => this.releaseLock(path, mine.token);
      // A writer killed between create and remove leaves the file: stale once its process is gone.
      const holder = await this.readLock(path);
      if ((holder && holder.host === mine.host && !processAlive(holder.pid)) || (!holder && (await this.unreadableAndOld(path)))) {
        await this.breakStaleLock(path, holder?.token);
        continue;
      }
      if (Date.now() > deadline) {
        throw new StudyLockedError(name, holder, path, { cause: new Error(`write lock held for more than ${this.writeLockTimeoutMs} ms`) });
      }
      await sleep(delay);
    }
  }
}

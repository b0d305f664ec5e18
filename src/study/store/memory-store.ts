/**
 * A study store in memory: for tests, for the SDK's in-process studies, and as the reference of the store
 * contract. Studies are kept as JSON text, so a read never aliases a written object and a value that JSON cannot
 * hold fails at the write, as it would in a real store.
 */
import { StudyConflictError, StudyLockedError } from '../errors';
import type { Study, StudyLock, StudyStore, Versioned } from '../types';

export class MemoryStudyStore implements StudyStore {
  private readonly studies = new Map<string, { revision: number; json: string }>();
  private readonly locks = new Map<string, symbol>();

  async read(name: string): Promise<Versioned<Study> | undefined> {
    const entry = this.studies.get(name);
    return entry ? { value: JSON.parse(entry.json) as Study, version: String(entry.revision) } : undefined;
  }

  async write(study: Study, expectedVersion?: string): Promise<string> {
    const entry = this.studies.get(study.name);
    const current = entry ? String(entry.revision) : undefined;
    if (current !== expectedVersion) throw new StudyConflictError(study.name, expectedVersion, current);
    const revision = (entry?.revision ?? 0) + 1;
    this.studies.set(study.name, { revision, json: JSON.stringify(study) });
    return String(revision);
  }

  async list(): Promise<string[]> {
    return [...this.studies.keys()].sort();
  }

  /** In-process lock: one holder per study name within this store object. */
  async acquireLock(name: string): Promise<StudyLock> {
    if (this.locks.has(name)) {
      throw new StudyLockedError(name, { pid: process.pid, host: 'this process', acquiredAt: 'earlier' });
    }
    const token = Symbol(name);
    this.locks.set(name, token);
    return {
      release: async () => {
        if (this.locks.get(name) === token) this.locks.delete(name);
      },
    };
  }
}

import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { StudyConflictError, StudyError, StudyLockedError } from '../../src/study/errors';
import { FileStudyStore } from '../../src/study/store/file-store';
import { MemoryStudyStore } from '../../src/study/store/memory-store';
import { newStudy } from '../../src/study/study';
import type { Study, StudyStore } from '../../src/study/types';
import { request } from './helpers';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sagetune-store-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function study(name = 'demo'): Promise<Study> {
  const store = new MemoryStudyStore();
  return newStudy(request({ HyperParameterTuningJobName: name }), store, Date.UTC(2025, 0, 1));
}

/** The same contract for every store. */
describe.each([
  ['FileStudyStore', (): StudyStore => new FileStudyStore({ root })],
  ['MemoryStudyStore', (): StudyStore => new MemoryStudyStore()],
])('%s: the StudyStore contract', (_name, make) => {
  it('reads nothing for an unknown study', async () => {
    await expect(make().read('demo')).resolves.toBeUndefined();
  });

  it('creates, reads back and updates with the version token', async () => {
    const store = make();
    const s = await study();
    const v1 = await store.write(s);
    const read1 = await store.read('demo');
    expect(read1).toEqual({ value: s, version: v1 });
    read1!.value.status = 'Stopping';
    const v2 = await store.write(read1!.value, v1);
    expect(v2).not.toBe(v1);
    expect((await store.read('demo'))!.value.status).toBe('Stopping');
  });

  it('refuses to create over an existing study', async () => {
    const store = make();
    await store.write(await study());
    await expect(store.write(await study())).rejects.toThrow(StudyConflictError);
    await expect(store.write(await study())).rejects.toThrow('Study demo already exists (version 1); it was not overwritten');
  });

  it('refuses a write based on a stale version, keeping the newer study', async () => {
    const store = make();
    const v1 = await store.write(await study());
    const a = (await store.read('demo'))!;
    const b = (await store.read('demo'))!;
    a.value.status = 'Stopping';
    await store.write(a.value, a.version);
    b.value.statusReason = 'lost update';
    const error = await store.write(b.value, v1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudyConflictError);
    expect(error).toMatchObject({ name: 'StudyConflictError', study: 'demo', expectedVersion: v1, actualVersion: '2' });
    const stored = (await store.read('demo'))!.value;
    expect(stored.status).toBe('Stopping');
    expect(stored.statusReason).toBeUndefined();
  });

  it('refuses an update of a study that does not exist', async () => {
    await expect(make().write(await study(), '3')).rejects.toThrow('Study demo was expected at version 3 but no longer exists');
  });

  it('lists studies', async () => {
    const store = make();
    await store.write(await study('b-study'));
    await store.write(await study('a-study'));
    await expect(store.list()).resolves.toEqual(['a-study', 'b-study']);
  });

  it('lets one of many concurrent conditional writes win', async () => {
    const stores = [make(), make(), make(), make(), make()];
    const shared = stores[0];
    await shared.write(await study());
    const base = (await shared.read('demo'))!;
    // Separate store objects (as separate processes would have) writing against the same version.
    const target = stores.map((s) => (s instanceof MemoryStudyStore ? shared : s));
    const results = await Promise.allSettled(
      target.map((s, i) => {
        const copy = structuredClone(base.value);
        copy.statusReason = `writer ${i}`;
        return s.write(copy, base.version);
      }),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(losers).toHaveLength(4);
    for (const l of losers) expect(l.reason).toBeInstanceOf(StudyConflictError);
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    expect((await shared.read('demo'))!.value.statusReason).toBe(`writer ${winner}`);
  });
});

describe('FileStudyStore: files', () => {
  it('keeps study.json as { revision, study } and leaves no temporary file behind', async () => {
    const store = new FileStudyStore({ root });
    const s = await study();
    await store.write(s);
    const read = await store.read('demo');
    await store.write(read!.value, read!.version);
    const content = JSON.parse(await readFile(join(root, 'demo', 'study.json'), 'utf8'));
    expect(content).toEqual({ revision: 2, study: s });
    expect((await readdir(join(root, 'demo'))).sort()).toEqual(['study.json']);
  });

  it('defaults its root to .sagetune/studies under the working directory', () => {
    expect(new FileStudyStore().root).toBe(join(process.cwd(), '.sagetune', 'studies'));
  });

  it('gives each trial attempt a folder under the study folder', () => {
    const store = new FileStudyStore({ root });
    expect(store.trialDirectory('demo', 'demo-001')).toBe(join(root, 'demo', 'trials', 'demo-001'));
    expect(() => store.trialDirectory('demo', '../x')).toThrow(StudyError);
  });

  it('rejects study names that are not folder-safe', async () => {
    const store = new FileStudyStore({ root });
    await expect(store.read('../etc')).rejects.toThrow('Invalid study name "../etc": 1 to 32 letters, digits and hyphens');
  });

  it('temporary files left by lock takers killed before linking their lock into place block nothing', async () => {
    const store = new FileStudyStore({ root });
    const version = await store.write(await study());
    // What a kill between writing the lock's content and linking it into place leaves behind.
    await writeFile(join(root, 'demo', `.write-lock.${process.pid + 1}.0badc0de.tmp`), '');
    await writeFile(join(root, 'demo', `lock.${process.pid + 1}.0badc0de.tmp`), '{"pid"');
    const lock = await store.acquireLock('demo');
    await expect(store.write({ ...(await study()), statusReason: 'after' }, version)).resolves.toEqual(expect.any(String));
    await lock.release();
    expect(await store.list()).toEqual(['demo']);
    // Released locks leave no lock file behind.
    expect((await readdir(join(root, 'demo'))).filter((f) => f === '.write-lock' || f === 'lock')).toEqual([]);
  });

  it('an empty lock left by an older sagetune killed while creating it is broken once it is 2 s old', async () => {
    const store = new FileStudyStore({ root, writeLockTimeoutMs: 5_000 });
    const version = await store.write(await study());
    const old = new Date(Date.now() - 10_000);
    for (const name of ['.write-lock', 'lock']) {
      await writeFile(join(root, 'demo', name), '');
      await utimes(join(root, 'demo', name), old, old);
    }
    const lock = await store.acquireLock('demo');
    await expect(store.write({ ...(await study()), statusReason: 'after' }, version)).resolves.toEqual(expect.any(String));
    await lock.release();
    // A fresh empty one (a writer between create and write, in an older version) is waited for, not broken.
    await writeFile(join(root, 'demo', '.write-lock'), '');
    await expect(new FileStudyStore({ root, writeLockTimeoutMs: 300 }).write(await study())).rejects.toBeInstanceOf(StudyLockedError);
  });

  it('reports a corrupt study file by its path', async () => {
    const store = new FileStudyStore({ root });
    await store.write(await study());
    await writeFile(join(root, 'demo', 'study.json'), '{"revision": 1, "stu');
    await expect(store.read('demo')).rejects.toThrow(/study\.json is not a sagetune study file/);
  });

  it('refuses a study file that is valid JSON but not a study, naming what is wrong', async () => {
    const store = new FileStudyStore({ root });
    await store.write(await study());
    const file = join(root, 'demo', 'study.json');
    const cases: [unknown, RegExp][] = [
      [{ name: 'demo' }, /is not a sagetune study file: schemaVersion is missing; this sagetune reads version 1/],
      [{ schemaVersion: 1, name: 'demo', status: 'Completed', trials: [] }, /request\.HyperParameterTuningJobConfig is missing/],
      [{ ...(await study()), trials: {} }, /trials is not a list/],
      [{ ...(await study()), trials: [{ number: 1, status: 'Completed' }] }, /trials\[0\]\.hyperParameters is missing/],
    ];
    for (const [doc, message] of cases) {
      await writeFile(file, JSON.stringify({ revision: 1, study: doc }));
      await expect(store.read('demo')).rejects.toThrow(message);
    }
  });

  it('never exposes a half-written study: a reader in another process sees only whole versions', async () => {
    const store = new FileStudyStore({ root });
    const s = await study();
    // A large study so that a non-atomic write would be observable mid-way.
    for (let i = 1; i <= 400; i++) {
      s.trials.push({ number: i, suggestionId: String(i), hyperParameters: { x: i / 1000, n: 1 }, status: 'Completed', jobName: `demo-${i}`, createdAt: s.createdAt, objective: i, objectiveSeries: Array.from({ length: 20 }, (_, t) => ({ t, value: t })) });
    }
    let version = await store.write(s);
    const reader = spawn(process.execPath, [
      '-e',
      `const fs=require('fs');let n=0,bad=0;const end=Date.now()+1500;while(Date.now()<end){try{const j=JSON.parse(fs.readFileSync(${JSON.stringify(join(root, 'demo', 'study.json'))},'utf8'));if(j.study.trials.length!==400)bad++;n++}catch(e){bad++}}console.log(JSON.stringify({n,bad}))`,
    ]);
    let out = '';
    reader.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise((r) => reader.on('close', r));
    const end = Date.now() + 1200;
    let writes = 0;
    while (Date.now() < end) {
      s.statusReason = `write ${writes++}`;
      version = await store.write(s, version);
    }
    await done;
    const { n, bad } = JSON.parse(out) as { n: number; bad: number };
    expect(writes).toBeGreaterThan(3);
    expect(n).toBeGreaterThan(10);
    expect(bad).toBe(0);
  });
});

describe('FileStudyStore: the runner lock', () => {
  it('lets one holder at a time, and names the holder', async () => {
    const store = new FileStudyStore({ root });
    const lock = await store.acquireLock('demo');
    const error = await new FileStudyStore({ root }).acquireLock('demo').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudyLockedError);
    expect(error).toMatchObject({ name: 'StudyLockedError', study: 'demo', owner: { pid: process.pid, host: hostname() } });
    expect((error as Error).message).toContain(`locked by process ${process.pid} on ${hostname()}`);
    expect((error as Error).message).toContain(`delete ${join(root, 'demo', 'lock')}`);
    await lock.release();
    const again = await store.acquireLock('demo');
    await again.release();
  });

  it('writes pid, host and time in the lock file, and removes it on release', async () => {
    const store = new FileStudyStore({ root });
    const lock = await store.acquireLock('demo');
    const content = JSON.parse(await readFile(join(root, 'demo', 'lock'), 'utf8'));
    expect(content).toMatchObject({ pid: process.pid, host: hostname() });
    expect(Date.parse(content.acquiredAt)).not.toBeNaN();
    await lock.release();
    await lock.release(); // idempotent
    await expect(readFile(join(root, 'demo', 'lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes over a stale lock whose process is dead (a runner killed with kill -9)', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    await new FileStudyStore({ root }).acquireLock('demo').then((l) => l.release());
    await writeFile(join(root, 'demo', 'lock'), JSON.stringify({ pid: dead, host: hostname(), acquiredAt: '2025-01-01T00:00:00.000Z', token: 'old' }));
    const lock = await new FileStudyStore({ root }).acquireLock('demo');
    expect(JSON.parse(await readFile(join(root, 'demo', 'lock'), 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('does not take over a lock of a live process, nor one from another host', async () => {
    await new FileStudyStore({ root }).acquireLock('demo').then((l) => l.release());
    const lockPath = join(root, 'demo', 'lock');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    try {
      await writeFile(lockPath, JSON.stringify({ pid: child.pid, host: hostname(), acquiredAt: '2025-01-01T00:00:00.000Z', token: 'live' }));
      await expect(new FileStudyStore({ root }).acquireLock('demo')).rejects.toThrow(StudyLockedError);
    } finally {
      child.kill();
    }
    await writeFile(lockPath, JSON.stringify({ pid: 1, host: 'some-other-host', acquiredAt: '2025-01-01T00:00:00.000Z', token: 'remote' }));
    await expect(new FileStudyStore({ root }).acquireLock('demo')).rejects.toThrow(/locked by process 1 on some-other-host/);
  });

  it('of many contenders for a stale lock, exactly one wins', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    await new FileStudyStore({ root }).acquireLock('demo').then((l) => l.release());
    await writeFile(join(root, 'demo', 'lock'), JSON.stringify({ pid: dead, host: hostname(), acquiredAt: '2025-01-01T00:00:00.000Z', token: 'old' }));
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => new FileStudyStore({ root }).acquireLock('demo')));
    const winners = results.filter((r) => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StudyLockedError);
    await (winners[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
  });

  it('clears a write lock left by a writer killed mid-write', async () => {
    const store = new FileStudyStore({ root, writeLockTimeoutMs: 2000 });
    await store.write(await study());
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    await writeFile(join(root, 'demo', '.write-lock'), JSON.stringify({ pid: dead, host: hostname(), acquiredAt: '2025-01-01T00:00:00.000Z', token: 'old' }));
    const read = await store.read('demo');
    await expect(store.write(read!.value, read!.version)).resolves.toBe('2');
  });

  it('times out on a write lock held by a live process', async () => {
    const store = new FileStudyStore({ root, writeLockTimeoutMs: 100 });
    await store.write(await study());
    await writeFile(join(root, 'demo', '.write-lock'), JSON.stringify({ pid: process.pid, host: hostname(), acquiredAt: '2025-01-01T00:00:00.000Z', token: 'busy' }));
    const read = await store.read('demo');
    await expect(store.write(read!.value, read!.version)).rejects.toThrow(StudyLockedError);
  });
});

/**
 * Corrupt state: a truncated or hand-edited study document is refused, by `sagetune run` on this machine and by the
 * deployed Prepare and tick against S3, with a message that says what is wrong and how to recover; the document is
 * left byte for byte as it was (nothing overwrites it), and no training starts.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseRequest, cli, tempDir, writeRequest } from '../cli/helpers';
import { FakeClock, SimulatedBackend } from '../../src/backends/simulated';
import { prepare } from '../../src/deployed/prepare';
import { CorruptStudyError } from '../../src/study/errors';
import { S3StudyStore } from '../../src/study/store/s3-store';
import { tick } from '../../src/study/tick';
import { FakeS3 } from '../support/fake-s3';
import { quadratic } from './helpers';
import { testServiceConfig } from '../support/deployed/config';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** Ways a study document gets damaged: cut short, not JSON, edited by hand into something else. */
function damages(original: string): [string, string, RegExp][] {
  // The file store wraps the study ({ revision, study }); the S3 store keeps it as it is.
  const doc = JSON.parse(original) as Record<string, unknown>;
  const edited = (change: (study: Record<string, unknown>) => void): string => {
    const copy = structuredClone(doc);
    change((copy.study as Record<string, unknown> | undefined) ?? copy);
    return JSON.stringify(copy);
  };
  return [
    ['truncated', original.slice(0, Math.floor(original.length / 2)), /not valid JSON|is not a sagetune study file/],
    ['emptied', '', /is not a sagetune study file/],
    ['trials edited into an object', edited((s) => (s.trials = {})), /trials is not a list/],
    ['a trial without hyperparameters', edited((s) => (s.trials = [{ number: 1, status: 'Completed' }])), /trials\[0\]\.hyperParameters is missing/],
    ['the request removed', edited((s) => delete s.request), /request/],
  ];
}

test('sagetune run on a damaged study file: refused with what is wrong and how to recover; the file is untouched, nothing runs', async () => {
  const tmp = tempDir('sagetune-corrupt-');
  try {
    const req = baseRequest();
    req.HyperParameterTuningJobName = 'damaged';
    req.HyperParameterTuningJobConfig.ResourceLimits = { MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 1 };
    const file = writeRequest(tmp.dir, req);
    // The fixture's train.js, next to the request.
    writeFileSync(join(tmp.dir, 'train.js'), readFileSync(join(__dirname, '../cli/fixtures/train.js')));
    const store = join(tmp.dir, 'studies');
    const first = await cli(['run', file, '--store-dir', store, '--progress', 'off', '--no-report']);
    expect(first.code).toBe(0);
    req.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 4; // asks to run further
    writeRequest(tmp.dir, req);
    const studyFile = join(store, 'damaged', 'study.json');
    const original = readFileSync(studyFile, 'utf8');
    for (const [what, content, problem] of damages(original)) {
      writeFileSync(studyFile, content);
      const out = await cli(['run', file, '--store-dir', store, '--progress', 'off', '--no-report']);
      expect({ what, code: out.code }).toEqual({ what, code: 2 });
      expect(out.stderr).toContain(`${studyFile} is not a sagetune study file`);
      expect(out.stderr).toMatch(problem);
      expect(out.stderr).toContain('restore it from a copy, or move its folder away to start afresh');
      expect(out.stderr).not.toMatch(/^\s+at /m);
      expect({ what, unchanged: readFileSync(studyFile, 'utf8') === content }).toEqual({ what, unchanged: true });
    }
  } finally {
    tmp.cleanup();
  }
});

test('the deployed Prepare and tick on a damaged study object: refused (StudyCorrupt) with how to restore a version; the object is untouched', async () => {
  const s3 = new FakeS3();
  try {
    const config = testServiceConfig();
    const clock = new FakeClock();
    const store = new S3StudyStore({ bucket: 'b', client: new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }), retry: { sleep: async () => {} } });
    const request = JSON.parse(readFileSync(join(__dirname, '../../examples/deployed/xgboost.json'), 'utf8')) as Record<string, unknown>;
    request.HyperParameterTuningJobName = 'sagetune-damaged';
    const exec = 'arn:aws:states:us-east-1:111122223333:execution:sm:e1';
    const deps = { config, store, clock, executionStatus: async () => 'RUNNING' };
    expect((await prepare(request, exec, deps)).outcome).toBe('run');
    const key = 'studies/sagetune-damaged/study.json';
    const original = s3.text('b', key)!;
    const backend = new SimulatedBackend({ clock, trainer: quadratic });
    for (const [what, content, problem] of damages(original)) {
      s3.objects.set(`b/${key}`, { body: content, etag: `"damaged-${what.length}"` });
      const refused = await prepare(request, exec, deps);
      expect({ what, outcome: refused.outcome, error: (refused as { error?: string }).error }).toEqual({ what, outcome: 'refused', error: 'StudyCorrupt' });
      const cause = (refused as { cause: string }).cause;
      expect(cause).toContain(`s3://b/${key} is not a sagetune study file`);
      expect(cause).toMatch(problem);
      expect(cause).toContain('aws s3api list-object-versions');
      await expect(tick('sagetune-damaged', { store, backend, clock })).rejects.toBeInstanceOf(CorruptStudyError);
      expect({ what, unchanged: s3.text('b', key) === content }).toEqual({ what, unchanged: true });
    }
    expect(backend.launches).toEqual([]);
  } finally {
    s3.restore();
  }
});

/**
 * The wait/wake protocol over S3 conditional writes, and the events that drive it: an event is delivered to the
 * waiting token or seen by the next wait, whatever the interleaving; stale tokens are ignored.
 */
import { SendTaskSuccessCommand, SFNClient, SFNServiceException } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { FakeClock } from '../../src/backends/simulated';
import { parseExecutionEnded, parseJobEvent, studiesOfJobName, studyOfExecutionInput } from '../../src/deployed/events';
import { WaitRecordStore, type WaitRecord } from '../../src/deployed/wait-record';
import { Waiting } from '../../src/deployed/waiting';
import { FakeS3 } from '../support/fake-s3';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const CONFIG = { bucket: 'b', keyPrefix: 'st/' };
const EVENT = { kind: 'training-job' as const, name: 'sagetune-x-001', status: 'Completed' };

function setup() {
  const s3 = new FakeS3();
  const sfnMock = mockClient(SFNClient);
  const live = new Set<string>();
  const sent: { token: string; output: unknown }[] = [];
  sfnMock.on(SendTaskSuccessCommand).callsFake(async (input: { taskToken: string; output: string }) => {
    if (!live.has(input.taskToken)) throw new SFNServiceException({ name: 'TaskTimedOut', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Task Timed Out' });
    live.delete(input.taskToken);
    sent.push({ token: input.taskToken, output: JSON.parse(input.output) });
    return {};
  });
  const records = new WaitRecordStore(new S3Client({ region: 'us-east-1' }), CONFIG);
  const waiting = new Waiting({ records, sfn: new SFNClient({ region: 'us-east-1' }), clock: new FakeClock(Date.UTC(2026, 0, 1)) });
  const record = (): WaitRecord | undefined => s3.json<WaitRecord>('b', 'st/studies/sagetune-x/wait.json');
  // The study exists.
  s3.objects.set('b/st/studies/sagetune-x/study.json', { body: '{}', etag: '"1"' });
  return { s3, sfnMock, live, sent, records, waiting, record, restore: () => (s3.restore(), sfnMock.restore()) };
}

describe('wait and wake', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });
  afterEach(() => t.restore());

  test('a wake sends the recorded token success once, clears it and counts the event', async () => {
    t.live.add('tok-1');
    expect(await t.waiting.arm({ study: 'sagetune-x', token: 'tok-1', executionArn: 'e1', eventsSeen: 0 })).toBe('armed');
    expect(t.record()).toMatchObject({ token: 'tok-1', executionArn: 'e1' });
    expect(await t.waiting.wake('sagetune-x', EVENT)).toBe('woken');
    expect(t.sent).toEqual([{ token: 'tok-1', output: { wokenBy: 'job-event', event: EVENT } }]);
    expect(t.record()).toMatchObject({ events: 1, lastEvent: EVENT });
    expect(t.record()?.token).toBeUndefined();
    // A second event finds no token: recorded for the next wait.
    expect(await t.waiting.wake('sagetune-x', { ...EVENT, name: 'sagetune-x-002' })).toBe('recorded');
    expect(t.record()?.events).toBe(2);
  });

  test('an event handled while the tick ran ends the next wait at once', async () => {
    const seen = await t.records.eventCount('sagetune-x');
    await t.waiting.wake('sagetune-x', EVENT); // during the tick: no token yet
    t.live.add('tok-2');
    expect(await t.waiting.arm({ study: 'sagetune-x', token: 'tok-2', executionArn: 'e1', eventsSeen: seen })).toBe('woken');
    expect(t.sent).toEqual([{ token: 'tok-2', output: { wokenBy: 'event-during-tick', event: EVENT } }]);
    // The tick after it saw that event: its wait is armed.
    t.live.add('tok-3');
    expect(await t.waiting.arm({ study: 'sagetune-x', token: 'tok-3', executionArn: 'e1', eventsSeen: await t.records.eventCount('sagetune-x') })).toBe('armed');
  });

  test('a stale token (the wait timed out) is ignored and the event still counted', async () => {
    await t.waiting.arm({ study: 'sagetune-x', token: 'old', executionArn: 'e1', eventsSeen: 0 });
    expect(await t.waiting.wake('sagetune-x', EVENT)).toBe('recorded');
    expect(t.sent).toEqual([]);
    expect(t.record()).toMatchObject({ events: 1 });
    expect(t.record()?.token).toBeUndefined();
  });

  test('events of a study that does not exist are ignored and write nothing', async () => {
    expect(await t.waiting.wake('sagetune-unknown', EVENT)).toBe('ignored');
    expect([...t.s3.objects.keys()].filter((k) => k.includes('unknown'))).toEqual([]);
  });

  test('racing a wake with an arm, in every interleaving: the event is delivered or seen, never lost, never twice', async () => {
    const deliveredBy = new Set<string>();
    for (let shift = -12; shift <= 12; shift++) {
      t.restore();
      t = setup();
      t.live.add('tok');
      const seen = await t.records.eventCount('sagetune-x');
      // Both start; the fake S3 yields at every call, so they interleave; `shift` delays one or the other.
      const later = async <T>(turns: number, f: () => Promise<T>): Promise<T> => {
        for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
        return f();
      };
      const [woke, armed] = await Promise.all([
        later(Math.max(0, shift), () => t.waiting.wake('sagetune-x', EVENT)),
        later(Math.max(0, -shift), () => t.waiting.arm({ study: 'sagetune-x', token: 'tok', executionArn: 'e1', eventsSeen: seen })),
      ]);
      expect({ shift, sent: t.sent.length }).toEqual({ shift, sent: 1 });
      expect(t.record()?.events).toBe(1);
      deliveredBy.add(woke === 'woken' ? 'wake' : armed === 'woken' ? 'arm' : 'nobody');
    }
    // Both orders happened: the wake found the token, and the arm found the event.
    expect([...deliveredBy].sort()).toEqual(['arm', 'wake']);
  });

  test('a throttled write is retried; a conflict re-reads', async () => {
    t.live.add('tok');
    t.s3.failNext('PutObject', 'SlowDown', 503, 1);
    expect(await t.waiting.arm({ study: 'sagetune-x', token: 'tok', executionArn: 'e1', eventsSeen: 0 })).toBe('armed');
  });
});

describe('events', () => {
  test('a training job state change: the study from the tag, else from the job name', () => {
    const event = (detail: Record<string, unknown>) => ({ source: 'aws.sagemaker', 'detail-type': 'SageMaker Training Job State Change', detail });
    expect(parseJobEvent(event({ TrainingJobName: 'sagetune-a-001', TrainingJobStatus: 'Completed', Tags: { 'sagetune:study': 'sagetune-a' } }))).toEqual({
      event: { kind: 'training-job', name: 'sagetune-a-001', status: 'Completed' },
      studies: ['sagetune-a'],
    });
    expect(parseJobEvent(event({ TrainingJobName: 'sagetune-a-001', TrainingJobStatus: 'Failed', Tags: [{ Key: 'sagetune:study', Value: 'sagetune-a' }] }))?.studies).toEqual(['sagetune-a']);
    expect(parseJobEvent(event({ TrainingJobName: 'x-123-150', TrainingJobStatus: 'Stopped' }))?.studies).toEqual(['x-123', 'x']);
    expect(parseJobEvent(event({ TrainingJobStatus: 'Stopped' }))).toBeUndefined();
    expect(parseJobEvent({ source: 'aws.states', detail: {} })).toBeUndefined();
    expect(parseJobEvent('nonsense')).toBeUndefined();
  });

  test('a tuning job state change', () => {
    expect(
      parseJobEvent({ source: 'aws.sagemaker', 'detail-type': 'SageMaker HyperParameter Tuning Job State Change', detail: { HyperParameterTuningJobName: 'sagetune-a-n2', HyperParameterTuningJobStatus: 'Completed', Tags: { 'sagetune:study': 'sagetune-a' } } }),
    ).toEqual({ event: { kind: 'tuning-job', name: 'sagetune-a-n2', status: 'Completed' }, studies: ['sagetune-a'] });
  });

  test('study names from job names', () => {
    expect(studiesOfJobName('s-001')).toEqual(['s']);
    expect(studiesOfJobName('s-001-2')).toEqual(['s']);
    expect(studiesOfJobName('s-001-200')).toEqual(['s-001', 's']);
    expect(studiesOfJobName('s-1')).toEqual([]);
  });

  test('execution status changes: only the ends that leave a study behind', () => {
    const event = (status: string, input?: string) => ({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { executionArn: 'arn:e', status, ...(input ? { input } : {}) } });
    expect(parseExecutionEnded(event('ABORTED', '{"HyperParameterTuningJobName":"s"}'))).toEqual({ executionArn: 'arn:e', status: 'ABORTED', input: '{"HyperParameterTuningJobName":"s"}' });
    expect(parseExecutionEnded(event('SUCCEEDED'))).toBeUndefined();
    expect(parseExecutionEnded(event('RUNNING'))).toBeUndefined();
    expect(studyOfExecutionInput('{"HyperParameterTuningJobName":"s"}')).toBe('s');
    expect(studyOfExecutionInput('{"SagetuneContinuation":{"StudyName":"s","PreviousExecutionArn":"a"}}')).toBe('s');
    expect(studyOfExecutionInput('not json')).toBeUndefined();
    expect(studyOfExecutionInput(undefined)).toBeUndefined();
  });
});

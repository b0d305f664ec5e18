/**
 * The tuning service's state machine (JSONPath). One execution runs one study:
 *
 *   Prepare the study -> Route the study
 *     refused           -> Request refused (Fail: the error and cause Prepare gave)
 *     native            -> Choose the warm start -> Run SageMaker tuning job [with warm start] (.sync)
 *                          -> Import the tuning job's training jobs -> Write the results (or follow the job below)
 *     finalize          -> Write the results
 *     run               -> Run a tuning step -> Choose the next step
 *                            wait      -> Wait for a training job to end (task token; timer = the tick's) -> Run a tuning step
 *                            tick      -> Run a tuning step
 *                            continue  -> Continue in a new execution -> Continued in a new execution (Succeed)
 *                            finalize  -> Write the results -> Check the outcome -> Study finished | Study failed
 *   A tuning step that fails beyond its retries -> Hand over to SageMaker tuning -> Run a tuning step (following it)
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/** The service's functions, by step. */
export interface ServiceFunctions {
  readonly prepare: lambda.IFunction;
  readonly tick: lambda.IFunction;
  readonly arm: lambda.IFunction;
  readonly wake: lambda.IFunction;
  readonly handOver: lambda.IFunction;
  readonly importNative: lambda.IFunction;
  readonly finalize: lambda.IFunction;
  readonly cleanup: lambda.IFunction;
}

/** Errors of the functions worth retrying (named by the functions' typed errors), and Lambda's own throttling. */
export const RETRIED_ERRORS = ['AwsTransientError', 'StudyConflictError', 'Lambda.TooManyRequestsException'];
/** Errors that no retry and no hand-over can fix: the study itself cannot be read. */
export const STUDY_LOST_ERRORS = ['StudyNotFoundError', 'CorruptStudyError', 'ServiceConfigError'];

const SYNC_RESOURCE = 'arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync';

/**
 * A Lambda task whose result becomes the state data as `{ Payload: <result> }` (or, with `wrap: false`, the result
 * itself). Every step that feeds the loop keeps its result under `Payload`, so that a path like
 * `$.Payload.waitSeconds` reads the same in a state's input and in its effective input (the wait's
 * `TimeoutSecondsPath` is resolved against one or the other depending on the interpreter).
 */
function invoke(scope: Construct, id: string, fn: lambda.IFunction, payload: sfn.TaskInput, comment: string, wrap = true): sfn.TaskStateBase {
  return new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn,
    payload,
    payloadResponseOnly: true,
    retryOnServiceExceptions: true,
    comment,
    ...(wrap ? { resultSelector: { 'Payload.$': '$' } } : {}),
  }).addRetry({
    errors: RETRIED_ERRORS,
    interval: Duration.seconds(2),
    maxAttempts: 6,
    backoffRate: 2,
    maxDelay: Duration.minutes(1),
    jitterStrategy: sfn.JitterType.FULL,
  });
}

function syncTuningJob(scope: Construct, id: string, warmStart: boolean): sfn.CustomState {
  const parameters: Record<string, string> = {
    'HyperParameterTuningJobName.$': '$.Payload.tuningJob.HyperParameterTuningJobName',
    'HyperParameterTuningJobConfig.$': '$.Payload.tuningJob.HyperParameterTuningJobConfig',
    'TrainingJobDefinition.$': '$.Payload.tuningJob.TrainingJobDefinition',
    'Tags.$': '$.Payload.tuningJob.Tags',
    ...(warmStart ? { 'WarmStartConfig.$': '$.Payload.tuningJob.WarmStartConfig' } : {}),
  };
  return new sfn.CustomState(scope, id, {
    stateJson: {
      Type: 'Task',
      Comment: "SageMaker's own tuning job runs the study (the optimized integration waits for it to end)",
      Resource: SYNC_RESOURCE,
      Parameters: parameters,
      ResultSelector: { 'Status.$': '$.HyperParameterTuningJobStatus' },
      ResultPath: '$.tuningJobResult',
    },
  }).addRetry({ errors: ['SageMaker.ThrottlingException', 'SageMaker.InternalFailure'], interval: Duration.seconds(5), maxAttempts: 4, backoffRate: 2 });
}

/** The state machine's definition. */
export function buildDefinition(scope: Construct, f: ServiceFunctions, stateMachineName: string): sfn.IChainable {
  const prepare = invoke(scope, 'Prepare the study', f.prepare, sfn.TaskInput.fromObject({ input: sfn.JsonPath.entirePayload, executionArn: sfn.JsonPath.executionId }), 'Checks the request, creates or resumes its study, chooses the engine');
  const refused = new sfn.Fail(scope, 'Request refused', { errorPath: '$.Payload.error', causePath: '$.Payload.cause', comment: 'The request is invalid or the study cannot be run now; the cause says why' });
  const lost = new sfn.Fail(scope, 'Study unavailable', {
    error: 'StudyUnavailable',
    cause: "The study's file in the bucket is missing or damaged, or the function is misconfigured; see the function's log",
  });

  const tick = invoke(
    scope,
    'Run a tuning step',
    f.tick,
    sfn.TaskInput.fromObject({ study: sfn.JsonPath.stringAt('$.Payload.study'), executionArn: sfn.JsonPath.executionId, iteration: sfn.JsonPath.numberAt('$.Payload.iteration') }),
    'Reconciles the running training jobs, early-stops laggards, asks the optimizer and launches jobs into free slots',
  );
  const wait = new tasks.LambdaInvoke(scope, 'Wait for a training job to end', {
    lambdaFunction: f.arm,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({
      study: sfn.JsonPath.stringAt('$.Payload.study'),
      token: sfn.JsonPath.taskToken,
      executionArn: sfn.JsonPath.executionId,
      eventsSeen: sfn.JsonPath.numberAt('$.Payload.eventsSeen'),
      waitSeconds: sfn.JsonPath.numberAt('$.Payload.waitSeconds'),
    }),
    taskTimeout: sfn.Timeout.at('$.Payload.waitSeconds'),
    resultPath: '$.wake',
    comment: "Sleeps until one of the study's jobs changes state (EventBridge wakes it) or the tick's timer runs out",
  });
  const continueRun = new tasks.StepFunctionsStartExecution(scope, 'Continue in a new execution', {
    stateMachine: sfn.StateMachine.fromStateMachineName(scope, 'ThisStateMachine', stateMachineName),
    integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
    input: sfn.TaskInput.fromObject({ SagetuneContinuation: { StudyName: sfn.JsonPath.stringAt('$.Payload.study'), PreviousExecutionArn: sfn.JsonPath.executionId } }),
    resultSelector: { 'continuedIn.$': '$.ExecutionArn' },
    comment: "Keeps the execution's history short: the study (in S3) continues in a new execution",
  });
  const continued = new sfn.Succeed(scope, 'Continued in a new execution');
  const superseded = new sfn.Succeed(scope, 'Superseded by another execution', { comment: 'Another execution drives the study now' });

  const handOver = invoke(
    scope,
    'Hand over to SageMaker tuning',
    f.handOver,
    sfn.TaskInput.fromObject({ study: sfn.JsonPath.stringAt('$.Payload.study'), executionArn: sfn.JsonPath.executionId, iteration: sfn.JsonPath.numberAt('$.Payload.iteration'), error: sfn.JsonPath.objectAt('$.error') }),
    "sagetune's engine failed beyond its retries: SageMaker's tuning job runs the rest of the budget",
  );
  const finalize = invoke(scope, 'Write the results', f.finalize, sfn.TaskInput.fromObject({ study: sfn.JsonPath.stringAt('$.Payload.study') }), 'Writes the summary, results (CSV, JSON) and report to S3; the output is the summary', false);
  const failed = new sfn.Fail(scope, 'Study failed', { error: 'StudyFailed', causePath: '$.StatusReason' });
  const finished = new sfn.Succeed(scope, 'Study finished');
  const outcome = new sfn.Choice(scope, 'Check the outcome').when(sfn.Condition.stringEquals('$.Status', 'Failed'), failed).otherwise(finished);

  const importNative = invoke(scope, "Import the tuning job's training jobs", f.importNative, sfn.TaskInput.fromObject({ state: sfn.JsonPath.entirePayload }), "Imports SageMaker's training jobs as the study's trials");
  const afterImport = new sfn.Choice(scope, 'Check the import').when(sfn.Condition.stringEquals('$.Payload.next', 'tick'), tick).otherwise(finalize);
  const sync = syncTuningJob(scope, 'Run SageMaker tuning job', false);
  const syncWarm = syncTuningJob(scope, 'Run SageMaker tuning job with warm start', true);
  for (const s of [sync, syncWarm]) s.addCatch(importNative, { errors: ['States.ALL'], resultPath: '$.error' }).next(importNative);
  const warmStart = new sfn.Choice(scope, 'Choose the warm start').when(sfn.Condition.isPresent('$.Payload.tuningJob.WarmStartConfig'), syncWarm).otherwise(sync);

  tick.addCatch(lost, { errors: STUDY_LOST_ERRORS, resultPath: '$.error' });
  tick.addCatch(handOver, { errors: ['States.ALL'], resultPath: '$.error' });
  handOver.addCatch(lost, { errors: STUDY_LOST_ERRORS, resultPath: '$.error' });
  wait.addCatch(tick, { errors: ['States.Timeout'], resultPath: '$.wake' });
  // A wait that cannot record its token falls back to its timer's role: tick again.
  wait.addCatch(tick, { errors: ['States.ALL'], resultPath: '$.wake' });
  wait.next(tick);
  finalize.addCatch(lost, { errors: STUDY_LOST_ERRORS, resultPath: '$.error' }).next(outcome);
  importNative.addCatch(lost, { errors: STUDY_LOST_ERRORS, resultPath: '$.error' }).next(afterImport);
  continueRun.next(continued);

  const nextStep = new sfn.Choice(scope, 'Choose the next step')
    .when(sfn.Condition.stringEquals('$.Payload.next', 'wait'), wait)
    .when(sfn.Condition.stringEquals('$.Payload.next', 'tick'), tick)
    .when(sfn.Condition.stringEquals('$.Payload.next', 'continue'), continueRun)
    .when(sfn.Condition.stringEquals('$.Payload.next', 'superseded'), superseded)
    .otherwise(finalize);
  tick.next(nextStep);
  handOver.next(
    new sfn.Choice(scope, 'Check the hand-over')
      .when(sfn.Condition.stringEquals('$.Payload.next', 'tick'), tick)
      .when(sfn.Condition.stringEquals('$.Payload.next', 'superseded'), superseded)
      .otherwise(finalize),
  );

  const route = new sfn.Choice(scope, 'Route the study')
    .when(sfn.Condition.stringEquals('$.Payload.outcome', 'refused'), refused)
    .when(sfn.Condition.stringEquals('$.Payload.outcome', 'native'), warmStart)
    .when(sfn.Condition.stringEquals('$.Payload.outcome', 'finalize'), finalize)
    .otherwise(tick);
  return prepare.next(route);
}

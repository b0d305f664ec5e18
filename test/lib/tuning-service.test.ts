/**
 * The tuning service's construct and stack: every resource and every IAM statement of the synthesized template,
 * cdk-nag's AwsSolutions pack, asl-validator on the state machine's definition, the props' checks and the grants.
 * Bundling is skipped (the handlers' bundles are tested in bundle.test.ts); one synthesis per variant.
 */
import aslValidator from 'asl-validator';
import { App, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SagetuneStack, TuningService, TuningServicePropsError, type SagetuneStackProps } from '../../lib';
import { UNSCOPED_ACTIONS } from '../../lib/private/iam';
import { ENV } from '../../src/deployed/config';
import { resolveIntrinsics } from '../support/deployed/template';

const ENVIRONMENT = { account: '111122223333', region: 'us-east-1' };

function synth(props: SagetuneStackProps = {}): { stack: SagetuneStack; template: Template; json: Record<string, unknown> } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validateAgainstDefaultRules': true } });
  const stack = new SagetuneStack(app, 'Sagetune', { env: ENVIRONMENT, ...props });
  const template = Template.fromStack(stack);
  return { stack, template, json: template.toJSON() as Record<string, unknown> };
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: Record<string, unknown> };
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** The policy statements attached to each role, keyed by the role's construct id (e.g. `TickRole`), resolved. */
function statementsByRole(stack: Stack, json: Record<string, unknown>): Map<string, Statement[]> {
  const resources = json.Resources as Resources;
  const roleIds = new Map<string, string>();
  for (const child of stack.node.findAll()) {
    if (child instanceof iam.Role) roleIds.set(stack.resolve(stack.getLogicalId(child.node.defaultChild as never)) as string, child.node.path.split('/').slice(-1)[0] === 'Role' ? child.node.path.split('/').slice(-2).join('/') : child.node.id);
  }
  const out = new Map<string, Statement[]>();
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    for (const role of r.Properties.Roles as { Ref: string }[]) {
      const id = roleIds.get(role.Ref)!;
      const statements = resolveIntrinsics((r.Properties.PolicyDocument as { Statement: unknown }).Statement, resources as never) as Statement[];
      out.set(id, [...(out.get(id) ?? []), ...statements]);
    }
  }
  return out;
}

const actionsOf = (statements: Statement[]): string[] => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
const resourcesOf = (s: Statement): string[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(String);

describe('the default stack', () => {
  const { stack, template, json } = synth();
  const resources = json.Resources as Resources;
  const roles = statementsByRole(stack, json);
  const BUCKET_ARN = 'arn:aws:s3:::sagetune-test-tuningservicebucketff8bfa73';
  const SM = 'Sagetune-TuningService-C9983430';

  test('has exactly its resources', () => {
    const counts: Record<string, number> = {};
    for (const r of Object.values(resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
    expect(counts).toEqual({
      'AWS::S3::Bucket': 1,
      'AWS::S3::BucketPolicy': 1,
      'AWS::IAM::Role': 10,
      'AWS::IAM::Policy': 10,
      'AWS::Logs::LogGroup': 9,
      'AWS::Lambda::Function': 8,
      'AWS::Lambda::Permission': 3,
      'AWS::StepFunctions::StateMachine': 1,
      'AWS::Events::Rule': 3,
    });
  });

  test('the bucket is encrypted, versioned, SSL only, private, retained, with old study versions expiring', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ Id: 'expire-old-study-versions', Prefix: 'studies/', NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
            Match.objectLike({ Id: 'abort-incomplete-uploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
          ]),
        },
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
    });
  });

  test('each function: latest Node runtime on ARM, its own role and log group, and the service settings', () => {
    const functions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const memory = functions.map((f) => [String(f.Properties.Description), f.Properties.MemorySize, f.Properties.Timeout]).sort();
    expect(memory).toEqual(
      [
        ['sagetune: checks a request and creates or resumes its study', 256, 60],
        ["sagetune: runs one step of a study's tuning loop", 1024, 300],
        ['sagetune: records the token of a waiting execution', 256, 30],
        ['sagetune: wakes the execution of a study whose job ended', 256, 30],
        ["sagetune: hands a study over to SageMaker's tuning job", 256, 120],
        ["sagetune: imports the training jobs of SageMaker's tuning job", 256, 300],
        ["sagetune: writes a study's results and report", 512, 120],
        ['sagetune: stops the jobs of a study whose execution was stopped', 256, 300],
      ].sort(),
    );
    const roleRefs = new Set<string>();
    for (const f of functions) {
      expect(f.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' });
      expect(f.Properties.TracingConfig).toBeUndefined();
      roleRefs.add(JSON.stringify(f.Properties.Role));
      expect(f.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: expect.stringMatching(/Logs/) } });
      const env = resolveIntrinsics((f.Properties.Environment as { Variables: unknown }).Variables, resources as never) as Record<string, string>;
      expect(env).toEqual({
        [ENV.bucket]: 'sagetune-test-tuningservicebucketff8bfa73',
        [ENV.keyPrefix]: '',
        [ENV.jobNamePrefix]: 'sagetune-',
        [ENV.executionRoleArn]: 'arn:aws:iam::111122223333:role/TuningServiceExecutionRoleB6DA9F2F',
        [ENV.defaultOutputPath]: 's3://sagetune-test-tuningservicebucketff8bfa73/training',
        [ENV.maxWaitSeconds]: '900',
        [ENV.maxTicksPerExecution]: '1000',
        [ENV.roleAccess]: JSON.stringify({ read: ['s3://sagetune-test-tuningservicebucketff8bfa73/data/'], write: ['s3://sagetune-test-tuningservicebucketff8bfa73/training/'], vpc: false }),
        POWERTOOLS_SERVICE_NAME: 'sagetune',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      });
    }
    expect(roleRefs.size).toBe(8);
    for (const g of Object.values(resources).filter((r) => r.Type === 'AWS::Logs::LogGroup')) expect(g.Properties.RetentionInDays).toBe(30);
  });

  test('IAM: exact actions of every role', () => {
    const expected: Record<string, string[]> = {
      PrepareRole: ['logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:ListBucket', 's3:PutObject', 'states:DescribeExecution'],
      TickRole: [
        'cloudwatch:GetMetricData',
        'iam:PassRole',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        'sagemaker:AddTags',
        'sagemaker:AddTags',
        'sagemaker:CreateHyperParameterTuningJob',
        'sagemaker:CreateTrainingJob',
        'sagemaker:DescribeHyperParameterTuningJob',
        'sagemaker:DescribeTrainingJob',
        'sagemaker:ListTrainingJobs',
        'sagemaker:ListTrainingJobsForHyperParameterTuningJob',
        'sagemaker:StopHyperParameterTuningJob',
        'sagemaker:StopTrainingJob',
      ],
      WaitRole: ['logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:ListBucket', 's3:PutObject', 'states:SendTaskSuccess'],
      WakeRole: ['logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject', 'states:SendTaskSuccess'],
      HandOverRole: [
        'iam:PassRole',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        'sagemaker:AddTags',
        'sagemaker:CreateHyperParameterTuningJob',
        'sagemaker:DescribeHyperParameterTuningJob',
        'sagemaker:DescribeTrainingJob',
        'sagemaker:ListTrainingJobsForHyperParameterTuningJob',
        'sagemaker:StopHyperParameterTuningJob',
        'sagemaker:StopTrainingJob',
      ],
      ImportNativeRole: [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        'sagemaker:DescribeHyperParameterTuningJob',
        'sagemaker:DescribeTrainingJob',
        'sagemaker:ListTrainingJobsForHyperParameterTuningJob',
      ],
      FinalizeRole: ['logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:ListBucket', 's3:PutObject'],
      CleanupRole: [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        'sagemaker:DescribeHyperParameterTuningJob',
        'sagemaker:DescribeTrainingJob',
        'sagemaker:ListTrainingJobs',
        'sagemaker:StopHyperParameterTuningJob',
        'sagemaker:StopTrainingJob',
        'states:DescribeExecution',
      ],
      ExecutionRole: [
        'cloudwatch:PutMetricData',
        'ecr:BatchCheckLayerAvailability',
        'ecr:BatchGetImage',
        'ecr:GetAuthorizationToken',
        'ecr:GetDownloadUrlForLayer',
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:DescribeLogStreams',
        'logs:PutLogEvents',
        's3:AbortMultipartUpload',
        's3:GetObject',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
      ],
      'StateMachine/Role': [
        'events:DescribeRule',
        'events:PutRule',
        'events:PutTargets',
        'iam:PassRole',
        'lambda:InvokeFunction',
        'lambda:InvokeFunction',
        'lambda:InvokeFunction',
        'lambda:InvokeFunction',
        'lambda:InvokeFunction',
        'lambda:InvokeFunction',
        'logs:CreateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:DescribeLogGroups',
        'logs:DescribeResourcePolicies',
        'logs:GetLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:UpdateLogDelivery',
        'sagemaker:AddTags',
        'sagemaker:CreateHyperParameterTuningJob',
        'sagemaker:DescribeHyperParameterTuningJob',
        'sagemaker:ListTags',
        'sagemaker:StopHyperParameterTuningJob',
        'states:StartExecution',
      ],
    };
    expect(Object.fromEntries([...roles].map(([id, s]) => [id, actionsOf(s)]))).toEqual(expected);
  });

  test('IAM: SageMaker actions only on the stack prefix, S3 only under its prefixes, PassRole only of the execution role to SageMaker', () => {
    for (const [role, statements] of roles) {
      for (const s of statements) {
        const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
        for (const r of resourcesOf(s)) {
          if (r === '*') {
            for (const a of actions) expect({ role, action: a, unscoped: a in UNSCOPED_ACTIONS }).toEqual({ role, action: a, unscoped: true });
            continue;
          }
          if (actions.some((a) => a.startsWith('sagemaker:'))) expect(r).toMatch(/^arn:aws:sagemaker:us-east-1:111122223333:(training-job|hyper-parameter-tuning-job)\/sagetune-\*$/);
          if (actions.some((a) => a.startsWith('s3:') && a !== 's3:ListBucket')) expect(r).toMatch(new RegExp(`^${BUCKET_ARN}/(studies|data|training)/`));
          if (actions.includes('s3:ListBucket')) {
            expect(r).toBe(BUCKET_ARN);
            expect(s.Condition).toEqual({ StringLike: { 's3:prefix': expect.arrayContaining([expect.stringMatching(/^(studies|data|training)\/\*$/)]) } });
          }
          if (actions.some((a) => a.startsWith('states:'))) expect(r).toMatch(new RegExp(`^arn:aws:states:us-east-1:111122223333:(stateMachine:${SM}|execution:${SM}:\\*)$`));
        }
        if (actions.includes('iam:PassRole')) {
          expect(resourcesOf(s)).toEqual(['arn:aws:iam::111122223333:role/TuningServiceExecutionRoleB6DA9F2F']);
          expect(s.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
        }
      }
    }
    // Least privilege within the bucket: writes of study state only to study.json, wait.json and results/.
    const writes = [...roles.values()].flat().filter((s) => actionsOf([s]).includes('s3:PutObject')).flatMap(resourcesOf);
    expect([...new Set(writes)].sort()).toEqual([
      `${BUCKET_ARN}/studies/*/results/*`,
      `${BUCKET_ARN}/studies/*/study.json`,
      `${BUCKET_ARN}/studies/*/wait.json`,
      `${BUCKET_ARN}/training/*`,
    ]);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' } }] },
      ManagedPolicyArns: Match.absent(),
    });
    for (const r of Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Role')) expect(r.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('the state machine: Standard, logged without execution data, a valid definition with states named for what they do', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: SM,
      StateMachineType: 'STANDARD',
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false, Destinations: [Match.anyValue()] },
      TracingConfiguration: { Enabled: false },
      Tags: [
        { Key: 'sagetune:bucket', Value: { Ref: Match.stringLikeRegexp('^TuningServiceBucket') } },
        { Key: 'sagetune:job-name-prefix', Value: 'sagetune-' },
      ],
    });
    const sm = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
    const definition = JSON.parse(String(resolveIntrinsics(sm.Properties.DefinitionString, resources as never))) as { StartAt: string; States: Record<string, Record<string, unknown>> };
    const result = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
    expect(definition.StartAt).toBe('Prepare the study');
    expect(Object.keys(definition.States).sort()).toEqual(
      [
        'Prepare the study',
        'Route the study',
        'Request refused',
        'Study unavailable',
        'Run a tuning step',
        'Choose the next step',
        'Wait for a training job to end',
        'Continue in a new execution',
        'Continued in a new execution',
        'Superseded by another execution',
        'Hand over to SageMaker tuning',
        'Check the hand-over',
        'Choose the warm start',
        'Run SageMaker tuning job',
        'Run SageMaker tuning job with warm start',
        "Import the tuning job's training jobs",
        'Check the import',
        'Write the results',
        'Check the outcome',
        'Study failed',
        'Study finished',
      ].sort(),
    );
    const wait = definition.States['Wait for a training job to end'];
    expect(wait).toMatchObject({ Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', TimeoutSecondsPath: '$.Payload.waitSeconds' });
    expect((wait.Parameters as { Payload: Record<string, string> }).Payload).toMatchObject({ 'token.$': '$$.Task.Token', 'waitSeconds.$': '$.Payload.waitSeconds' });
    expect(wait.Catch).toEqual([
      { ErrorEquals: ['States.Timeout'], ResultPath: '$.wake', Next: 'Run a tuning step' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.wake', Next: 'Run a tuning step' },
    ]);
    expect(definition.States['Run a tuning step'].Catch).toEqual([
      { ErrorEquals: ['StudyNotFoundError', 'CorruptStudyError', 'ServiceConfigError'], ResultPath: '$.error', Next: 'Study unavailable' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Hand over to SageMaker tuning' },
    ]);
    expect(definition.States['Run a tuning step'].Retry).toEqual(
      expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['AwsTransientError', 'StudyConflictError', 'Lambda.TooManyRequestsException'], MaxAttempts: 6, BackoffRate: 2, JitterStrategy: 'FULL' })]),
    );
    expect(definition.States['Run SageMaker tuning job']).toMatchObject({
      Resource: 'arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync',
      Parameters: {
        'HyperParameterTuningJobName.$': '$.Payload.tuningJob.HyperParameterTuningJobName',
        'HyperParameterTuningJobConfig.$': '$.Payload.tuningJob.HyperParameterTuningJobConfig',
        'TrainingJobDefinition.$': '$.Payload.tuningJob.TrainingJobDefinition',
        'Tags.$': '$.Payload.tuningJob.Tags',
      },
    });
    expect(definition.States['Run SageMaker tuning job with warm start'].Parameters).toHaveProperty(['WarmStartConfig.$'], '$.Payload.tuningJob.WarmStartConfig');
    expect(definition.States['Continue in a new execution']).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution',
      Parameters: { StateMachineArn: `arn:aws:states:us-east-1:111122223333:stateMachine:${SM}`, Input: { SagetuneContinuation: { 'StudyName.$': '$.Payload.study', 'PreviousExecutionArn.$': '$$.Execution.Id' } } },
    });
    expect(definition.States['Request refused']).toEqual({ Type: 'Fail', Comment: expect.any(String), ErrorPath: '$.Payload.error', CausePath: '$.Payload.cause' });
  });

  test("EventBridge rules: the stack's jobs ending wake the wait; its executions stopped, timed out or failed are cleaned up", () => {
    const rules = Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule');
    const patterns = rules.map((r) => r.Properties.EventPattern);
    expect(patterns).toEqual(
      expect.arrayContaining([
        {
          source: ['aws.sagemaker'],
          'detail-type': ['SageMaker Training Job State Change'],
          detail: { TrainingJobName: [{ prefix: 'sagetune-' }], TrainingJobStatus: ['Completed', 'Failed', 'Stopped'] },
        },
        {
          source: ['aws.sagemaker'],
          'detail-type': ['SageMaker HyperParameter Tuning Job State Change'],
          detail: { HyperParameterTuningJobName: [{ prefix: 'sagetune-' }], HyperParameterTuningJobStatus: ['Completed', 'Failed', 'Stopped'] },
        },
        {
          source: ['aws.states'],
          'detail-type': ['Step Functions Execution Status Change'],
          detail: { stateMachineArn: [expect.anything()], status: ['ABORTED', 'TIMED_OUT', 'FAILED'] },
        },
      ]),
    );
    for (const r of rules) expect(r.Properties.Targets).toEqual([expect.objectContaining({ RetryPolicy: { MaximumEventAgeInSeconds: expect.any(Number), MaximumRetryAttempts: 8 } })]);
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Permission').map((p) => p.Properties.Principal)).toEqual(['events.amazonaws.com', 'events.amazonaws.com', 'events.amazonaws.com']);
  });

  test('outputs: the state machine, the bucket, the execution role, the job-name prefix and the key prefix', () => {
    const outputs = json.Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(['BucketName', 'ExecutionRoleArn', 'JobNamePrefix', 'KeyPrefix', 'StateMachineArn']);
    expect(outputs.JobNamePrefix.Value).toBe('sagetune-');
    expect(outputs.KeyPrefix.Value).toBe('(none)');
  });

  test('cdk-nag AwsSolutions: no finding left unacknowledged', () => {
    const result = new AwsSolutionsChecks().validateScope(stack);
    expect(result.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  test('cdk-nag acknowledgements: only rules S1, SF2 and IAM5 (named wildcards), each with its reason', () => {
    const acknowledged: Record<string, string> = {};
    for (const c of stack.node.findAll()) {
      for (const m of c.node.metadata) if (m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) Object.assign(acknowledged, m.data as Record<string, string>);
    }
    const ids = Object.keys(acknowledged).map((k) => k.replace(/^Annotation::/, ''));
    expect(ids.filter((id) => !id.startsWith('AwsSolutions-IAM5[Resource::')).sort()).toEqual(['AwsSolutions-S1', 'AwsSolutions-SF2']);
    // No wildcard action is acknowledged, only wildcard resources, each named.
    expect(ids.filter((id) => id.startsWith('AwsSolutions-IAM5[Action::'))).toEqual([]);
    for (const reason of Object.values(acknowledged)) expect(reason.length).toBeGreaterThan(30);
  });
});

describe('variants', () => {
  test('a VPC, a key prefix, another job-name prefix, data buckets and tracing: all reflected, cdk-nag clean', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const net = new Stack(app, 'Net', { env: ENVIRONMENT });
    const vpc = new ec2.Vpc(net, 'Vpc', { maxAzs: 2 });
    const data = s3.Bucket.fromBucketName(net, 'Data', 'my-training-data');
    const stack = new SagetuneStack(app, 'Sagetune', { env: ENVIRONMENT, vpc, keyPrefix: 'ml/', jobNamePrefix: 'acme-', tracing: true, dataBuckets: [data], maxWait: Duration.minutes(5), maxTicksPerExecution: 200 });
    const template = Template.fromStack(stack);
    const json = template.toJSON() as Record<string, unknown>;
    const resources = json.Resources as Resources;
    const fn = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function')!;
    const env = resolveIntrinsics((fn.Properties.Environment as { Variables: unknown }).Variables, resources as never) as Record<string, string>;
    expect(env[ENV.keyPrefix]).toBe('ml/');
    expect(env[ENV.jobNamePrefix]).toBe('acme-');
    expect(env[ENV.maxWaitSeconds]).toBe('300');
    expect(env[ENV.maxTicksPerExecution]).toBe('200');
    expect(JSON.parse(env[ENV.roleAccess])).toEqual({ read: [expect.stringMatching(/^s3:\/\/.*\/ml\/data\/$/), 's3://my-training-data/'], write: [expect.stringMatching(/^s3:\/\/.*\/ml\/training\/$/)], vpc: true });
    expect(Object.keys(JSON.parse(env[ENV.defaultVpcConfig]))).toEqual(['SecurityGroupIds', 'Subnets']);
    expect(env[ENV.defaultOutputPath]).toMatch(/^s3:\/\/.*\/ml\/training$/);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { TracingConfiguration: { Enabled: true } });
    template.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { GroupDescription: 'sagetune training jobs' });
    const roles = statementsByRole(stack, json);
    expect(actionsOf(roles.get('ExecutionRole')!)).toEqual(expect.arrayContaining(['ec2:CreateNetworkInterface', 'ec2:DescribeVpcs']));
    expect(roles.get('TickRole')!.some((s) => resourcesOf(s).some((r) => r.endsWith(':training-job/acme-*')))).toBe(true);
    const result = new AwsSolutionsChecks().validateScope(stack);
    expect(result.violations.map((v) => v.ruleName)).toEqual([]);
  });

  test('an existing bucket and execution role: none created, requests not checked against a role the stack cannot see', () => {
    const { stack, json } = synth({ bucketName: 'existing-bucket', executionRoleArn: 'arn:aws:iam::111122223333:role/MySageMakerRole' });
    const resources = json.Resources as Resources;
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::S3::Bucket')).toEqual([]);
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Role')).toHaveLength(9);
    const fn = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function')!;
    const env = resolveIntrinsics((fn.Properties.Environment as { Variables: unknown }).Variables, resources as never) as Record<string, string>;
    expect(env[ENV.bucket]).toBe('existing-bucket');
    expect(env[ENV.executionRoleArn]).toBe('arn:aws:iam::111122223333:role/MySageMakerRole');
    expect(env[ENV.roleAccess]).toBeUndefined();
    const passRole = [...statementsByRole(stack, json).values()].flat().filter((s) => actionsOf([s]).includes('iam:PassRole'));
    expect(passRole.length).toBe(3);
    for (const s of passRole) expect(resourcesOf(s)).toEqual(['arn:aws:iam::111122223333:role/MySageMakerRole']);
    expect(new AwsSolutionsChecks().validateScope(stack).violations.map((v) => v.ruleName)).toEqual([]);
  });

  test('server access logs and a removal policy for a new bucket', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const stack = new Stack(app, 'S', { env: ENVIRONMENT });
    const logsBucket = s3.Bucket.fromBucketName(stack, 'Logs', 'access-logs');
    new TuningService(stack, 'T', { serverAccessLogsBucket: logsBucket, removalPolicy: RemovalPolicy.DESTROY, noncurrentVersionExpiration: Duration.days(7) });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Delete',
      Properties: { LoggingConfiguration: { DestinationBucketName: 'access-logs', LogFilePrefix: 'sagetune/' }, LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 7 } })]) } },
    });
  });
});

describe('props', () => {
  test('every problem is reported at once, with the value received and what is allowed', () => {
    const stack = new Stack(new App(), 'S');
    const vpcless = { securityGroups: [] as ec2.ISecurityGroup[], vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } };
    let error: TuningServicePropsError | undefined;
    try {
      new TuningService(stack, 'T', {
        jobNamePrefix: 'Bad_Prefix!',
        keyPrefix: '/abs',
        maxWait: Duration.seconds(10),
        tickTimeout: Duration.minutes(20),
        maxTicksPerExecution: 5000,
        bucket: s3.Bucket.fromBucketName(stack, 'B', 'my-bucket'),
        removalPolicy: RemovalPolicy.DESTROY,
        executionRole: iam.Role.fromRoleArn(stack, 'R', 'arn:aws:iam::111122223333:role/R'),
        dataBuckets: [s3.Bucket.fromBucketName(stack, 'D', 'my-data')],
        ...vpcless,
      });
    } catch (e) {
      error = e as TuningServicePropsError;
    }
    expect(error?.message).toMatch(/^Invalid TuningService props/);
    expect(error).toBeInstanceOf(TuningServicePropsError);
    expect(error!.problems).toEqual([
      expect.stringMatching(/^jobNamePrefix "Bad_Prefix!" is not allowed: use 1 to 20 letters, digits and hyphens/),
      expect.stringMatching(/^keyPrefix "\/abs" is not allowed/),
      'maxWait 10 seconds is not allowed: use 1 minute to 1 day',
      expect.stringMatching(/^tickTimeout 1200 seconds is not allowed: use 1 to 15 minutes/),
      expect.stringMatching(/^maxTicksPerExecution 5000 is not allowed: use a whole number from 1 to 1500/),
      'removalPolicy applies to a bucket the construct creates: leave it out when you pass bucket',
      'dataBuckets are granted to the execution role the construct creates: grant them to the executionRole you pass instead',
      'vpcSubnets and securityGroups need vpc',
    ]);
    expect(error!.message).toMatch(/^Invalid TuningService props \(8 problems\):\n {2}- jobNamePrefix/);
  });

  test('valid prefixes pass', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validateAgainstDefaultRules': true } }), 'S');
    expect(() => new TuningService(stack, 'T', { jobNamePrefix: 'team-a-', keyPrefix: 'tuning/sagetune/' })).not.toThrow();
  });
});

describe('grants', () => {
  test('start, stop and read results grant exactly what they name', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const stack = new Stack(app, 'S', { env: ENVIRONMENT });
    const service = new TuningService(stack, 'T');
    const starter = new iam.Role(stack, 'Starter', { assumedBy: new iam.AccountRootPrincipal() });
    const stopper = new iam.Role(stack, 'Stopper', { assumedBy: new iam.AccountRootPrincipal() });
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    service.grantStartStudy(starter);
    service.grantStopStudy(stopper);
    service.grantReadResults(reader);
    const json = Template.fromStack(stack).toJSON() as Record<string, unknown>;
    const roles = statementsByRole(stack, json);
    expect([...new Set(actionsOf(roles.get('Starter')!))]).toEqual([
      's3:GetObject',
      's3:ListBucket',
      'states:DescribeExecution',
      'states:DescribeStateMachine',
      'states:GetExecutionHistory',
      'states:ListExecutions',
      'states:ListTagsForResource',
      'states:StartExecution',
    ]);
    expect(actionsOf(roles.get('Stopper')!)).toEqual(['states:DescribeExecution', 'states:StopExecution']);
    expect(actionsOf(roles.get('Reader')!)).toEqual(['s3:GetObject', 's3:ListBucket', 'states:DescribeExecution', 'states:DescribeStateMachine', 'states:GetExecutionHistory', 'states:ListExecutions']);
    for (const s of roles.get('Reader')!) expect(resourcesOf(s).every((r) => r !== '*')).toBe(true);
  });
});

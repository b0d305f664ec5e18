/**
 * `TuningService`: sagetune's tuning service in one construct. Drop it into any CDK app; `SagetuneStack` wraps it
 * for `cdk deploy`.
 *
 * It provisions:
 * - a bucket for studies, training data and outputs (or uses yours): encrypted, versioned, SSL only, public access
 *   blocked; `studies/` holds each study's state and results, `data/` is where the execution role reads, `training/`
 *   where training jobs write;
 * - a SageMaker execution role with least privilege (or uses yours);
 * - a Standard Step Functions state machine that runs a study from a `CreateHyperParameterTuningJob`-shaped input:
 *   Prepare, then sagetune's tick loop (or SageMaker's own tuning job through the optimized integration), then
 *   Finalize; it waits for SageMaker's job state-change events rather than polling;
 * - the Lambda functions of the steps, each with a role of its own;
 * - EventBridge rules: the stack's SageMaker jobs that end wake the waiting execution; an execution that is stopped,
 *   times out or fails has its study's jobs stopped.
 */
import * as path from 'node:path';
import { ArnFormat, Duration, Names, RemovalPolicy, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV, SERVICE_DEFAULTS, STATE_MACHINE_TAGS } from '../src/deployed/config';
import { acknowledgeWildcard } from './private/nag';
import { ecrRepositoriesArn, trainingLogGroupArn, jobArn, passRoleStatement, SYNC_RULE_ACTIONS, SYNC_RULE_NAME, SYNC_TUNING_JOB_ACTIONS, TRAINING_JOB_ACTIONS, TUNING_JOB_ACTIONS } from './private/iam';
import { propsProblems, TuningServicePropsError } from './private/props';
import { buildDefinition, type ServiceFunctions } from './private/state-machine';

/** Properties of {@link TuningService}. */
export interface TuningServiceProps {
  /**
   * The bucket for studies, training data and training outputs.
   * @default - a new bucket: SSE-S3 encrypted, versioned (old versions of study files expire after
   *   `noncurrentVersionExpiration`), SSL only, public access blocked, retained when the stack is deleted
   */
  readonly bucket?: s3.IBucket;
  /** Key prefix of everything the service keeps in the bucket: `''` or ending in `/`. @default '' */
  readonly keyPrefix?: string;
  /** What happens to a bucket the construct creates when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Where a bucket the construct creates writes its server access logs. @default - no access logs */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /** How long old versions of study files are kept in a bucket the construct creates. @default Duration.days(30) */
  readonly noncurrentVersionExpiration?: Duration;
  /**
   * The SageMaker execution role passed to training jobs (trusting sagemaker.amazonaws.com). The stack cannot see
   * what a role you pass may do, so requests are then not checked against it.
   * @default - a new role that may read `<keyPrefix>data/` and `dataBuckets`, write `<keyPrefix>training/`, write
   *   CloudWatch logs and metrics of training jobs, pull images from ECR, and (with `vpc`) use the VPC
   */
  readonly executionRole?: iam.IRole;
  /** More buckets the new execution role may read training data from. @default - none */
  readonly dataBuckets?: s3.IBucket[];
  /**
   * Prefix of every study name, hence of every training and tuning job the stack creates; its IAM policies allow
   * SageMaker actions only on jobs under it. 1 to 20 letters, digits and hyphens.
   * @default 'sagetune-'
   */
  readonly jobNamePrefix?: string;
  /** Retention of the functions' and the state machine's logs. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** A VPC for the training jobs: requests without a VpcConfig get its subnets and security groups. @default - no VPC */
  readonly vpc?: ec2.IVpc;
  /** Subnets of `vpc` for the training jobs. @default - the private subnets with egress */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Security groups of the training jobs (1 to 5). @default - one new group that allows traffic between the jobs' instances */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Longest a waiting execution sleeps without a job event before it looks at its study anyway (a bound for lost
   * events). 1 minute to 1 day. @default Duration.minutes(15)
   */
  readonly maxWait?: Duration;
  /** Timeout of the tick function (it stops launching 30 seconds before). 1 to 15 minutes. @default Duration.minutes(5) */
  readonly tickTimeout?: Duration;
  /**
   * Ticks one execution runs before the study continues in a new execution (an execution's history holds 25,000
   * events). 1 to 1500. @default 1000
   */
  readonly maxTicksPerExecution?: number;
  /** X-Ray tracing of the state machine and the functions. @default false */
  readonly tracing?: boolean;
}

const HANDLERS = path.resolve(__dirname, '..', 'src', 'handlers');
const PROJECT_ROOT = path.resolve(__dirname, '..');

/** sagetune's tuning service: a state machine that runs tuning studies on SageMaker, and what it needs. */
export class TuningService extends Construct {
  /** The bucket of studies, data and outputs. */
  readonly bucket: s3.IBucket;
  /** The state machine: start an execution with a tuning request as its input. */
  readonly stateMachine: sfn.StateMachine;
  /** The SageMaker execution role passed to training jobs. */
  readonly executionRole: iam.IRole;
  /** Prefix of study and job names. */
  readonly jobNamePrefix: string;
  /** Key prefix in the bucket. */
  readonly keyPrefix: string;
  /** The Lambda functions, by step. */
  readonly functions: Readonly<ServiceFunctions>;

  constructor(scope: Construct, id: string, props: TuningServiceProps = {}) {
    super(scope, id);
    // Defaults, then validation.
    this.jobNamePrefix = props.jobNamePrefix ?? 'sagetune-';
    this.keyPrefix = props.keyPrefix ?? '';
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const maxWait = props.maxWait ?? Duration.minutes(15);
    const tickTimeout = props.tickTimeout ?? Duration.minutes(5);
    const maxTicks = props.maxTicksPerExecution ?? SERVICE_DEFAULTS.maxTicksPerExecution;
    const problems = propsProblems(props);
    if (problems.length > 0) throw new TuningServicePropsError(problems);

    const stack = Stack.of(this);
    const studies = `${this.keyPrefix}studies/`;
    const dataPrefix = `${this.keyPrefix}data/`;
    const outputPrefix = `${this.keyPrefix}training/`;

    // The bucket.
    this.bucket = props.bucket ?? this.createBucket(props, studies);

    // The execution role.
    let securityGroups = props.securityGroups;
    if (props.vpc && !securityGroups?.length) {
      const group = new ec2.SecurityGroup(this, 'TrainingSecurityGroup', { vpc: props.vpc, description: 'sagetune training jobs', allowAllOutbound: true });
      group.addIngressRule(group, ec2.Port.allTraffic(), 'Traffic between the instances of a distributed training job');
      securityGroups = [group];
    }
    const ownRole = !props.executionRole;
    this.executionRole = props.executionRole ?? this.createExecutionRole(props, dataPrefix, outputPrefix);

    // The state machine's name is fixed here so that policies can name its ARN without depending on it (the functions'
    // policies and the state machine's own would otherwise form a cycle).
    const stateMachineName = Names.uniqueResourceName(this, { maxLength: 80, separator: '-' });
    const stateMachineArn = stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const executionArns = stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    const subnets = props.vpc ? props.vpc.selectSubnets(props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds : undefined;
    const environment: Record<string, string> = {
      [ENV.bucket]: this.bucket.bucketName,
      [ENV.keyPrefix]: this.keyPrefix,
      [ENV.jobNamePrefix]: this.jobNamePrefix,
      [ENV.executionRoleArn]: this.executionRole.roleArn,
      [ENV.defaultOutputPath]: `s3://${this.bucket.bucketName}/${outputPrefix}`.replace(/\/$/, ''),
      [ENV.maxWaitSeconds]: String(maxWait.toSeconds()),
      [ENV.maxTicksPerExecution]: String(maxTicks),
      ...(ownRole
        ? {
            [ENV.roleAccess]: stack.toJsonString({
              read: [`s3://${this.bucket.bucketName}/${dataPrefix}`, ...(props.dataBuckets ?? []).map((b) => `s3://${b.bucketName}/`)],
              write: [`s3://${this.bucket.bucketName}/${outputPrefix}`],
              vpc: Boolean(props.vpc),
            }),
          }
        : {}),
      ...(props.vpc && subnets && securityGroups ? { [ENV.defaultVpcConfig]: stack.toJsonString({ SecurityGroupIds: securityGroups.map((g) => g.securityGroupId), Subnets: subnets }) } : {}),
      POWERTOOLS_SERVICE_NAME: 'sagetune',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };

    // The functions, each with its own role.
    const fn = (name: string, file: string, description: string, options: { timeout: Duration; memorySize?: number }, statements: iam.PolicyStatement[]): nodejs.NodejsFunction => {
      const logGroup = new logs.LogGroup(this, `${name}Logs`, { retention, removalPolicy: RemovalPolicy.RETAIN });
      const role = new iam.Role(this, `${name}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `sagetune ${description}` });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${logGroup.logGroupArn}:*`] }));
      for (const s of statements) role.addToPolicy(s);
      return new nodejs.NodejsFunction(this, name, {
        entry: path.join(HANDLERS, file),
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: options.memorySize ?? 256,
        timeout: options.timeout,
        description: `sagetune: ${description}`,
        role,
        logGroup,
        environment,
        tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
        projectRoot: PROJECT_ROOT,
        depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
        bundling: { minify: true, target: 'node20', format: nodejs.OutputFormat.CJS, externalModules: [], sourceMap: false, logLevel: nodejs.LogLevel.WARNING },
      });
    };

    const bucketArn = this.bucket.bucketArn;
    const listStudies = new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucketArn], conditions: { StringLike: { 's3:prefix': [`${studies}*`] } } });
    const readStudies = new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`${bucketArn}/${studies}*`] });
    const writeStudyFiles = new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [`${bucketArn}/${studies}*/study.json`] });
    const waitFiles = new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [`${bucketArn}/${studies}*/wait.json`] });
    const studyFiles = new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`${bucketArn}/${studies}*/study.json`] });
    const trainingJobs = jobArn(stack, 'training-job', this.jobNamePrefix);
    const tuningJobs = jobArn(stack, 'hyper-parameter-tuning-job', this.jobNamePrefix);
    const runTraining = new iam.PolicyStatement({ actions: [...TRAINING_JOB_ACTIONS], resources: [trainingJobs] });
    const listTraining = new iam.PolicyStatement({ actions: ['sagemaker:ListTrainingJobs'], resources: ['*'] });
    const readMetrics = new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] });
    const runTuning = new iam.PolicyStatement({ actions: [...TUNING_JOB_ACTIONS], resources: [tuningJobs] });
    const describeTraining = new iam.PolicyStatement({ actions: ['sagemaker:DescribeTrainingJob'], resources: [trainingJobs] });
    const stopTraining = new iam.PolicyStatement({ actions: ['sagemaker:StopTrainingJob', 'sagemaker:DescribeTrainingJob'], resources: [trainingJobs] });
    const followTuning = new iam.PolicyStatement({
      actions: ['sagemaker:DescribeHyperParameterTuningJob', 'sagemaker:ListTrainingJobsForHyperParameterTuningJob'],
      resources: [tuningJobs],
    });
    const stopTuning = new iam.PolicyStatement({ actions: ['sagemaker:StopHyperParameterTuningJob', 'sagemaker:DescribeHyperParameterTuningJob'], resources: [tuningJobs] });
    const describeExecutions = new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executionArns] });
    const answerTasks = new iam.PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [stateMachineArn] });
    const passRole = passRoleStatement(this.executionRole);

    const functions: ServiceFunctions = {
      prepare: fn('Prepare', 'prepare.ts', 'checks a request and creates or resumes its study', { timeout: Duration.minutes(1) }, [listStudies, readStudies, writeStudyFiles, describeExecutions]),
      tick: fn('Tick', 'tick.ts', "runs one step of a study's tuning loop", { timeout: tickTimeout, memorySize: 1024 }, [
        listStudies,
        readStudies,
        writeStudyFiles,
        runTraining,
        listTraining,
        readMetrics,
        runTuning,
        passRole,
      ]),
      arm: fn('Wait', 'arm.ts', 'records the token of a waiting execution', { timeout: Duration.seconds(30) }, [listStudies, waitFiles, answerTasks]),
      wake: fn('Wake', 'wake.ts', 'wakes the execution of a study whose job ended', { timeout: Duration.seconds(30) }, [listStudies, waitFiles, studyFiles, answerTasks]),
      handOver: fn('HandOver', 'hand-over.ts', "hands a study over to SageMaker's tuning job", { timeout: Duration.minutes(2) }, [
        listStudies,
        readStudies,
        writeStudyFiles,
        stopTraining,
        runTuning,
        passRole,
      ]),
      importNative: fn('ImportNative', 'import-native.ts', "imports the training jobs of SageMaker's tuning job", { timeout: Duration.minutes(5) }, [
        listStudies,
        readStudies,
        writeStudyFiles,
        followTuning,
        describeTraining,
      ]),
      finalize: fn('Finalize', 'finalize.ts', "writes a study's results and report", { timeout: Duration.minutes(2), memorySize: 512 }, [
        listStudies,
        readStudies,
        new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [`${bucketArn}/${studies}*/results/*`] }),
      ]),
      cleanup: fn('Cleanup', 'cleanup.ts', 'stops the jobs of a study whose execution was stopped', { timeout: Duration.minutes(5) }, [
        listStudies,
        readStudies,
        writeStudyFiles,
        stopTraining,
        listTraining,
        stopTuning,
        describeExecutions,
      ]),
    };
    this.functions = functions;

    // The state machine.
    const stateMachineLogs = new logs.LogGroup(this, 'StateMachineLogs', { retention, removalPolicy: RemovalPolicy.RETAIN });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'sagetune: runs a hyperparameter tuning study from a CreateHyperParameterTuningJob request',
      definitionBody: sfn.DefinitionBody.fromChainable(buildDefinition(this, functions, stateMachineName)),
      // Execution data is left out of the logs: a request may carry secrets in Environment.
      logs: { destination: stateMachineLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: props.tracing ?? false,
    });
    // Tags: a program given only the state machine's ARN finds the bucket and prefixes (the SDK, the CLI).
    // (No key-prefix tag means none: CloudFormation refuses empty tag values.)
    const onStateMachine = { includeResourceTypes: ['AWS::StepFunctions::StateMachine'] };
    Tags.of(this.stateMachine).add(STATE_MACHINE_TAGS.bucket, this.bucket.bucketName, onStateMachine);
    if (this.keyPrefix !== '') Tags.of(this.stateMachine).add(STATE_MACHINE_TAGS.keyPrefix, this.keyPrefix, onStateMachine);
    Tags.of(this.stateMachine).add(STATE_MACHINE_TAGS.jobNamePrefix, this.jobNamePrefix, onStateMachine);
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: [...SYNC_TUNING_JOB_ACTIONS], resources: [tuningJobs] }));
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: [...SYNC_RULE_ACTIONS], resources: [stack.formatArn({ service: 'events', resource: 'rule', resourceName: SYNC_RULE_NAME })] }),
    );
    this.stateMachine.addToRolePolicy(passRole);
    functions.arm.grantInvoke(this.stateMachine.role);

    // Wake the waiting execution when one of the stack's jobs ends.
    new events.Rule(this, 'TrainingJobEnded', {
      description: "sagetune: one of the stack's training jobs ended; wake the execution that waits for it",
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Training Job State Change'],
        detail: { TrainingJobName: events.Match.prefix(this.jobNamePrefix), TrainingJobStatus: ['Completed', 'Failed', 'Stopped'] },
      },
      targets: [new targets.LambdaFunction(functions.wake, { retryAttempts: 8, maxEventAge: Duration.hours(1) })],
    });
    new events.Rule(this, 'TuningJobEnded', {
      description: "sagetune: one of the stack's tuning jobs ended; wake the execution that follows it",
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker HyperParameter Tuning Job State Change'],
        detail: { HyperParameterTuningJobName: events.Match.prefix(this.jobNamePrefix), HyperParameterTuningJobStatus: ['Completed', 'Failed', 'Stopped'] },
      },
      targets: [new targets.LambdaFunction(functions.wake, { retryAttempts: 8, maxEventAge: Duration.hours(1) })],
    });
    // Stop the study's jobs when its execution is stopped, times out or fails.
    new events.Rule(this, 'ExecutionEnded', {
      description: 'sagetune: an execution was stopped, timed out or failed; stop its study and training jobs',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [stateMachineArn], status: ['ABORTED', 'TIMED_OUT', 'FAILED'] },
      },
      targets: [new targets.LambdaFunction(functions.cleanup, { retryAttempts: 8, maxEventAge: Duration.hours(6) })],
    });

    this.acknowledgeFindings(props, { studies, dataPrefix, outputPrefix, executionArns });
  }

  /**
   * Lets `grantee` start studies (executions) and follow them: start and describe executions, read the state machine's
   * tags (to find the bucket from its ARN) and read the studies (see {@link grantReadResults}).
   */
  grantStartStudy(grantee: iam.IGrantable): iam.Grant {
    const grant = this.stateMachine.grantStartExecution(grantee);
    this.stateMachine.grantExecution(grantee, 'states:DescribeExecution');
    this.stateMachine.grant(grantee, 'states:ListTagsForResource');
    this.grantReadResults(grantee);
    return grant;
  }

  /** Lets `grantee` stop studies: stopping an execution stops its study's training jobs. */
  grantStopStudy(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantExecution(grantee, 'states:StopExecution', 'states:DescribeExecution');
  }

  /** Lets `grantee` read studies, their results and reports, and list the executions. */
  grantReadResults(grantee: iam.IGrantable): iam.Grant {
    const prefix = `${this.keyPrefix}studies/`;
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject'],
      resourceArns: [`${this.bucket.bucketArn}/${prefix}*`],
    });
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } } });
    this.stateMachine.grant(grantee, 'states:ListExecutions', 'states:DescribeStateMachine');
    this.stateMachine.grantExecution(grantee, 'states:DescribeExecution', 'states:GetExecutionHistory');
    return grant;
  }

  private createBucket(props: TuningServiceProps, studies: string): s3.Bucket {
    return new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
      ...(props.serverAccessLogsBucket ? { serverAccessLogsBucket: props.serverAccessLogsBucket, serverAccessLogsPrefix: 'sagetune/' } : {}),
      lifecycleRules: [
        { id: 'expire-old-study-versions', prefix: studies, noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(30) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
  }

  private createExecutionRole(props: TuningServiceProps, dataPrefix: string, outputPrefix: string): iam.Role {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: 'sagetune: SageMaker execution role of the training jobs',
    });
    const bucketArn = this.bucket.bucketArn;
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucketArn], conditions: { StringLike: { 's3:prefix': [`${dataPrefix}*`, `${outputPrefix}*`] } } }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`${bucketArn}/${dataPrefix}*`] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], resources: [`${bucketArn}/${outputPrefix}*`] }));
    for (const b of props.dataBuckets ?? []) {
      role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [b.bucketArn] }));
      role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`${b.bucketArn}/*`] }));
    }
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [trainingLogGroupArn(stack)],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/TrainingJobs' } } }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        resources: [ecrRepositoriesArn(stack)],
      }),
    );
    if (props.vpc) {
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:CreateNetworkInterfacePermission',
            'ec2:DeleteNetworkInterface',
            'ec2:DeleteNetworkInterfacePermission',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeVpcs',
            'ec2:DescribeDhcpOptions',
            'ec2:DescribeSubnets',
            'ec2:DescribeSecurityGroups',
          ],
          resources: ['*'],
        }),
      );
    }
    return role;
  }

  /** cdk-nag acknowledgements, each with its reason. */
  private acknowledgeFindings(props: TuningServiceProps, at: { studies: string; dataPrefix: string; outputPrefix: string; executionArns: string }): void {
    const { studies, dataPrefix, outputPrefix, executionArns } = at;
    const stack = Stack.of(this);
    const v = Validations.of(this);
    if (!props.bucket && !props.serverAccessLogsBucket) {
      v.acknowledge({
        id: 'AwsSolutions-S1',
        reason: "The bucket holds studies that only the stack's functions and SageMaker write; pass serverAccessLogsBucket to log access (CloudTrail data events are the account-wide audit trail)",
      });
    }
    if (!props.tracing) {
      v.acknowledge({ id: 'AwsSolutions-SF2', reason: 'X-Ray tracing is optional (tracing: true); the state machine logs every state transition to CloudWatch Logs' });
    }
    const wildcards: [string, string][] = [
      ['*', 'Only on actions without resource-level permissions: sagemaker:ListTrainingJobs, cloudwatch:GetMetricData/PutMetricData (namespace-conditioned), ecr:GetAuthorizationToken, the EC2 network-interface actions of a VPC training job, and the log-delivery actions of Step Functions logging'],
      [jobArn(stack, 'training-job', this.jobNamePrefix), "Training jobs are scoped to the stack's job-name prefix; their names are made per trial"],
      [jobArn(stack, 'hyper-parameter-tuning-job', this.jobNamePrefix), "Tuning jobs are scoped to the stack's job-name prefix"],
      [executionArns, "Executions of this stack's state machine only"],
      [ecrRepositoriesArn(stack), "Training images come from any repository, SageMaker's own built-in algorithm images included (other accounts)"],
      [trainingLogGroupArn(stack), "SageMaker's own log group of training jobs, whose streams are named per job"],
      [`${this.bucket.bucketArn}/${studies}*`, "Study files, one folder per study, under the service's prefix"],
      [`${this.bucket.bucketArn}/${studies}*/study.json`, "Each study's state file, written conditionally by the functions"],
      [`${this.bucket.bucketArn}/${studies}*/wait.json`, "Each study's wait record (the task token of the execution waiting for a job event)"],
      [`${this.bucket.bucketArn}/${studies}*/results/*`, "Each study's result files (summary, CSV, JSON and the HTML report)"],
      [`${this.bucket.bucketArn}/${dataPrefix}*`, 'Training data under the data prefix'],
      [`${this.bucket.bucketArn}/${outputPrefix}*`, 'Training outputs and checkpoints, one folder per study and job'],
      ...(props.dataBuckets ?? []).map((b): [string, string] => [`${b.bucketArn}/*`, 'A training data bucket named in dataBuckets']),
      ...this.node
        .findAll()
        .filter((c): c is logs.LogGroup => c instanceof logs.LogGroup)
        .map((g): [string, string] => [`${g.logGroupArn}:*`, "Log streams of the function's own log group"]),
      ...this.node
        .findAll()
        .filter((c): c is lambda.Function => c instanceof lambda.Function)
        .map((f): [string, string] => [`${f.functionArn}:*`, "The state machine invokes the service's own function (any version, as Step Functions' Lambda integration requires)"]),
    ];
    for (const [resource, reason] of wildcards) acknowledgeWildcard(this, resource, reason);
  }
}

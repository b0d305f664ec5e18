/**
 * The IAM actions the service's roles are granted, as named lists, and the ARNs that scope them. Every SageMaker
 * action with resource-level permissions is scoped to the stack's job-name prefix; the few actions that AWS does not
 * scope by resource (Service Authorization Reference) are granted on `*` and listed in {@link UNSCOPED_ACTIONS}.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/** Training-job actions of the tick, hand-over and cleanup functions. */
export const TRAINING_JOB_ACTIONS = ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob', 'sagemaker:AddTags'] as const;
/** Tuning-job actions of the native engine's functions (start, follow, stop and import a tuning job). */
export const TUNING_JOB_ACTIONS = [
  'sagemaker:CreateHyperParameterTuningJob',
  'sagemaker:DescribeHyperParameterTuningJob',
  'sagemaker:StopHyperParameterTuningJob',
  'sagemaker:ListTrainingJobsForHyperParameterTuningJob',
  'sagemaker:AddTags',
] as const;
/** Tuning-job actions of the state machine's `createHyperParameterTuningJob.sync` task. */
export const SYNC_TUNING_JOB_ACTIONS = [
  'sagemaker:CreateHyperParameterTuningJob',
  'sagemaker:DescribeHyperParameterTuningJob',
  'sagemaker:StopHyperParameterTuningJob',
  'sagemaker:ListTags',
  'sagemaker:AddTags',
] as const;
/** The EventBridge rule Step Functions manages for `.sync` SageMaker tuning jobs, and what the state machine needs on it. */
export const SYNC_RULE_NAME = 'StepFunctionsGetEventsForSageMakerTuningJobsRule';
export const SYNC_RULE_ACTIONS = ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'] as const;

/**
 * Actions that have no resource-level permissions, with the Service Authorization Reference page that says so:
 * they are granted on `*` (and only these are).
 */
export const UNSCOPED_ACTIONS: Readonly<Record<string, string>> = {
  'sagemaker:ListTrainingJobs': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html',
  'cloudwatch:GetMetricData': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html',
  'cloudwatch:PutMetricData': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html',
  'ecr:GetAuthorizationToken': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html',
  'ec2:CreateNetworkInterface': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html',
  'ec2:CreateNetworkInterfacePermission': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html',
  'ec2:DeleteNetworkInterface': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html',
  'ec2:DeleteNetworkInterfacePermission': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html',
  'ec2:DescribeNetworkInterfaces': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html',
  'ec2:DescribeVpcs': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html',
  'ec2:DescribeDhcpOptions': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html',
  'ec2:DescribeSubnets': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html',
  'ec2:DescribeSecurityGroups': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html',
  'logs:CreateLogDelivery': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html',
  'logs:GetLogDelivery': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html',
  'logs:UpdateLogDelivery': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html',
  'logs:DeleteLogDelivery': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html',
  'logs:ListLogDeliveries': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html',
  'logs:PutResourcePolicy': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html',
  'logs:DescribeResourcePolicies': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html',
  'logs:DescribeLogGroups': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html',
  'xray:PutTraceSegments': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html',
  'xray:PutTelemetryRecords': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html',
  'xray:GetSamplingRules': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html',
  'xray:GetSamplingTargets': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html',
};

/** The ARN pattern of the stack's SageMaker jobs of one type (names are lower-cased in SageMaker ARNs). */
export function jobArn(scope: Stack, resource: 'training-job' | 'hyper-parameter-tuning-job', prefix: string): string {
  return scope.formatArn({ service: 'sagemaker', resource, resourceName: `${prefix.toLowerCase()}*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

/** `iam:PassRole` of one role, only to SageMaker. */
export function passRoleStatement(role: iam.IRole): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['iam:PassRole'],
    resources: [role.roleArn],
    conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
  });
}

/** ECR repositories a training image may come from: any account's (SageMaker's built-in algorithm images are AWS's). */
export function ecrRepositoriesArn(scope: Stack): string {
  return scope.formatArn({ service: 'ecr', account: '*', resource: 'repository', resourceName: '*' });
}

/** SageMaker's log group of training jobs (its streams are named per job). */
export function trainingLogGroupArn(scope: Stack): string {
  return scope.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/TrainingJobs:*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

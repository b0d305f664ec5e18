/**
 * `SagetuneStack`: the tuning service as a stack for `cdk deploy`, with the outputs a user (and the CLI and SDK)
 * needs to start and follow studies.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { NO_KEY_PREFIX } from '../src/deployed/config';
import { TuningService, type TuningServiceProps } from './tuning-service';

/** Properties of {@link SagetuneStack}: a stack's and the tuning service's. */
export interface SagetuneStackProps extends StackProps, TuningServiceProps {
  /** Name of an existing bucket to use (instead of `bucket`). @default - `bucket`, or a new bucket */
  readonly bucketName?: string;
  /** ARN of an existing SageMaker execution role to use (instead of `executionRole`). @default - `executionRole`, or a new role */
  readonly executionRoleArn?: string;
}

/** Names of the stack's outputs (the SDK finds a deployed service by them). */
export const STACK_OUTPUTS = {
  stateMachineArn: 'StateMachineArn',
  bucketName: 'BucketName',
  executionRoleArn: 'ExecutionRoleArn',
  jobNamePrefix: 'JobNamePrefix',
  keyPrefix: 'KeyPrefix',
} as const;

/** The tuning service in a stack of its own. */
export class SagetuneStack extends Stack {
  readonly service: TuningService;

  constructor(scope: Construct, id: string, props: SagetuneStackProps = {}) {
    super(scope, id, props);
    const { bucketName, executionRoleArn, ...rest } = props;
    this.service = new TuningService(this, 'TuningService', {
      ...rest,
      ...(bucketName ? { bucket: s3.Bucket.fromBucketName(this, 'ExistingBucket', bucketName) } : {}),
      ...(executionRoleArn ? { executionRole: iam.Role.fromRoleArn(this, 'ExistingExecutionRole', executionRoleArn, { mutable: false }) } : {}),
    });
    new CfnOutput(this, STACK_OUTPUTS.stateMachineArn, { value: this.service.stateMachine.stateMachineArn, description: 'Start an execution with a tuning request as its input' });
    new CfnOutput(this, STACK_OUTPUTS.bucketName, { value: this.service.bucket.bucketName, description: 'Studies, results and reports (studies/), training data (data/), training outputs (training/)' });
    new CfnOutput(this, STACK_OUTPUTS.executionRoleArn, { value: this.service.executionRole.roleArn, description: "The SageMaker execution role filled in for a request's RoleArn" });
    new CfnOutput(this, STACK_OUTPUTS.jobNamePrefix, { value: this.service.jobNamePrefix, description: 'Every HyperParameterTuningJobName must start with this' });
    new CfnOutput(this, STACK_OUTPUTS.keyPrefix, { value: this.service.keyPrefix === '' ? NO_KEY_PREFIX : this.service.keyPrefix, description: 'Key prefix of the service in the bucket' });
  }
}

#!/usr/bin/env node
/**
 * The CDK app: `npx cdk deploy` deploys sagetune's tuning service as the stack `Sagetune` (another name with
 * `-c stackName=...`). Settings from context (`-c key=value`, or cdk.json): `jobNamePrefix`, `keyPrefix`,
 * `bucketName` (use an existing bucket), `executionRoleArn` (use an existing SageMaker execution role).
 * cdk-nag's AwsSolutions checks run at every synth: an unacknowledged finding fails it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SagetuneStack } from '../lib';

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};
new SagetuneStack(app, context('stackName') ?? 'Sagetune', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'sagetune: hyperparameter tuning of SageMaker training jobs with a Bayesian optimizer, driven by Step Functions',
  ...(context('jobNamePrefix') ? { jobNamePrefix: context('jobNamePrefix') } : {}),
  ...(typeof app.node.tryGetContext('keyPrefix') === 'string' ? { keyPrefix: app.node.tryGetContext('keyPrefix') as string } : {}),
  ...(context('bucketName') ? { bucketName: context('bucketName') } : {}),
  ...(context('executionRoleArn') ? { executionRoleArn: context('executionRoleArn') } : {}),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

/** The settings of a test stack (bucket `b`, job-name prefix `sagetune-`, its execution role), with changes. */
import type { ServiceConfig } from '../../../src/deployed/config';

export function testServiceConfig(changes: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    bucket: 'b',
    keyPrefix: '',
    jobNamePrefix: 'sagetune-',
    executionRoleArn: 'arn:aws:iam::111122223333:role/Exec',
    defaultOutputPath: 's3://b/training',
    roleAccess: { read: ['s3://b/data/'], write: ['s3://b/training/'], vpc: false },
    maxWaitSeconds: 900,
    maxTicksPerExecution: 1000,
    ...changes,
  };
}

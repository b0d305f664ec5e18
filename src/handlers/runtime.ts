/**
 * What every Lambda handler of the deployed service shares, created once per execution environment (on first use,
 * so that a missing setting is reported by the invocation that needs it): the service's settings, the S3 client and
 * study store, and a JSON logger (Powertools). The SageMaker and Step Functions parts live in `sagemaker-runtime.ts`
 * and `sfn-runtime.ts`, so that each function's bundle holds only the clients it uses.
 *
 * The clients honour the SDK's standard configuration, `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` included;
 * with a custom S3 endpoint they address buckets by path (`http://host/bucket/key`), which local S3 servers expect.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { serviceConfigFromEnv, type ServiceConfig } from '../deployed/config';
import { WaitRecordStore } from '../deployed/wait-record';
import { S3StudyStore } from '../study/store/s3-store';
import { systemClock } from '../study/types';

/** The JSON logger of every handler. Request contents (they may hold secrets in `Environment`) are never logged. */
export const logger = new Logger({ serviceName: 'sagetune' });

/** Logs a warning (the backends' and engines' `warn`). */
export const warn = (message: string, detail?: Record<string, unknown>): void => logger.warn(message, detail ?? {});

/** A value made on first use and kept for the life of the execution environment. */
export function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/** True when an S3 endpoint other than AWS's is configured. */
function customS3Endpoint(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
}

export const config = lazy<ServiceConfig>(() => serviceConfigFromEnv());
export const s3 = lazy(() => new S3Client(customS3Endpoint() ? { forcePathStyle: true } : {}));
export const store = lazy(() => new S3StudyStore({ bucket: config().bucket, prefix: config().keyPrefix, client: s3() }));
export const clock = systemClock;
export const waitRecords = lazy(() => new WaitRecordStore(s3(), config()));

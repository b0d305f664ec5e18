/**
 * AWS SDK clients shared by the SageMaker backend, the native engine and the S3 store: created once, lazily, for
 * one region, or injected (tests pass clients that aws-sdk-client-mock intercepts; the Lambda passes its own).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';

/** Clients to use instead of creating new ones. */
export interface AwsClientOverrides {
  readonly sagemaker?: SageMakerClient;
  readonly cloudwatch?: CloudWatchClient;
  readonly s3?: S3Client;
}

/** Options of {@link createAwsClients}. */
export interface AwsClientOptions {
  /** AWS region, e.g. `us-east-1`. @default - the SDK's resolution (AWS_REGION, the profile's region) */
  readonly region?: string;
  /** Clients to use as they are (their own region applies). */
  readonly clients?: AwsClientOverrides;
}

/** The clients, each created on first use. */
export interface AwsClients {
  readonly sagemaker: SageMakerClient;
  readonly cloudwatch: CloudWatchClient;
  readonly s3: S3Client;
}

/**
 * Returns SageMaker, CloudWatch and S3 clients for a region. A client not given in `clients` is created on first
 * access with the SDK's standard retry mode (its default credentials chain, region from `region` or the
 * environment).
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const config = options.region ? { region: options.region } : {};
  let sagemaker = options.clients?.sagemaker;
  let cloudwatch = options.clients?.cloudwatch;
  let s3 = options.clients?.s3;
  return {
    get sagemaker() {
      sagemaker ??= new SageMakerClient(config);
      return sagemaker;
    },
    get cloudwatch() {
      cloudwatch ??= new CloudWatchClient(config);
      return cloudwatch;
    },
    get s3() {
      s3 ??= new S3Client(config);
      return s3;
    },
  };
}

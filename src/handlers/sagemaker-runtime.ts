/** The SageMaker side of the handlers' shared objects: clients, the training-job backend, the native engine. */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { NativeTuningEngine } from '../backends/native/engine';
import { SageMakerTrainingBackend } from '../backends/sagemaker/backend';
import { lazy, warn } from './runtime';

const sagemaker = lazy(() => new SageMakerClient({}));
const cloudwatch = lazy(() => new CloudWatchClient({}));
export const backend = lazy(() => new SageMakerTrainingBackend({ clients: { sagemaker: sagemaker(), cloudwatch: cloudwatch() }, warn: (m) => warn(m) }));
export const engine = lazy(() => new NativeTuningEngine({ clients: { sagemaker: sagemaker() }, warn: (m) => warn(m) }));

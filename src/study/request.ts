// Placeholder: the request schema (CreateHyperParameterTuningJob + Sagetune options) lands with the engine.
import type { ParameterRanges } from '../core/types';

export interface TuningRequest {
  HyperParameterTuningJobName: string;
  HyperParameterTuningJobConfig: {
    Strategy: string;
    ParameterRanges?: ParameterRanges;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

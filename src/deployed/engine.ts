/** Which engine runs a deployed study. */
import { chooseEngine } from '../backends/native/engine';
import type { Study } from '../study/types';

/** `sagetune`: sagetune's optimizer drives the study; `native`: SageMaker's tuning job runs (or took over) it. */
export type EngineName = 'sagetune' | 'native';

/** The study's engine as the state machine routes it. */
export function engineOf(study: Study): EngineName {
  return study.native || chooseEngine(study.request) === 'native' ? 'native' : 'sagetune';
}

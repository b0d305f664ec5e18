/**
 * `WarmStartConfig`: earlier sagetune studies in the same store whose completed trials seed the optimizer.
 *
 * Both warm-start types reuse the parents' trials that completed with an objective and whose hyperparameters lie
 * in the new study's ranges (a value outside the new ranges cannot be given to the optimizer; hyperparameters the
 * new study does not tune are dropped). They differ in what they require of the parents:
 * - `IdenticalDataAndAlgorithm`: the parents ran the same training (AlgorithmSpecification's image, algorithm and
 *   metric definitions, the local command, the input data channels and the static hyperparameters); a parent that
 *   differs is an error, since its values would not be comparable.
 * - `TransferLearning`: data, algorithm and static hyperparameters may differ; the values are reused as they are.
 * In both, every parent must have ended (Completed, Stopped or Failed) and have the same objective metric and
 * direction. The trials are copied into the new study when it is created (`Study.warmStartTrials`), so the new
 * study does not depend on its parents afterwards. Like SageMaker, parent trials do not count toward
 * `MaxNumberOfTrainingJobs`.
 */
import { SearchSpace } from '../core';
import type { HyperParameters, StrategyName } from '../core/types';
import { WarmStartError } from './errors';
import type { TuningRequest } from './request';
import type { Study, StudyStore } from './types';

/** One reused observation. */
export interface WarmStartTrial {
  parent: string;
  hyperParameters: HyperParameters;
  objective: number;
}

const ENDED = ['Completed', 'Stopped', 'Failed'];

/** What the training of a request is, for the IdenticalDataAndAlgorithm check. */
function trainingIdentity(request: TuningRequest): Record<string, unknown> {
  const def = request.TrainingJobDefinition;
  return {
    'TrainingJobDefinition.AlgorithmSpecification.TrainingImage': def?.AlgorithmSpecification.TrainingImage,
    'TrainingJobDefinition.AlgorithmSpecification.AlgorithmName': def?.AlgorithmSpecification.AlgorithmName,
    'TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions': def?.AlgorithmSpecification.MetricDefinitions,
    'TrainingJobDefinition.InputDataConfig': def?.InputDataConfig,
    'TrainingJobDefinition.StaticHyperParameters': def?.StaticHyperParameters ?? {},
    'Sagetune.Local.Command': request.Sagetune.Local?.Command,
  };
}

/**
 * Reads the warm-start parents of a request from the store and returns the observations they contribute.
 * Throws {@link WarmStartError} for a missing, unfinished or incompatible parent.
 */
export async function resolveWarmStart(request: TuningRequest, store: StudyStore): Promise<WarmStartTrial[]> {
  const config = request.WarmStartConfig;
  if (!config) return [];
  const name = request.HyperParameterTuningJobName;
  const strategy = request.HyperParameterTuningJobConfig.Strategy as StrategyName;
  const space = SearchSpace.fromRanges(request.HyperParameterTuningJobConfig.ParameterRanges ?? {}, strategy);
  const objective = request.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective;
  const out: WarmStartTrial[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const ref of config.ParentHyperParameterTuningJobs) {
    const parentName = ref.HyperParameterTuningJobName;
    if (parentName === undefined) {
      problems.push('a parent without HyperParameterTuningJobName');
      continue;
    }
    if (parentName === name) {
      problems.push(`${parentName} is the study itself`);
      continue;
    }
    if (seen.has(parentName)) continue;
    seen.add(parentName);
    const stored = await store.read(parentName);
    if (!stored) {
      problems.push(`${parentName} does not exist in this store`);
      continue;
    }
    const parent: Study = stored.value;
    if (!ENDED.includes(parent.status)) {
      problems.push(`${parentName} has not ended (status ${parent.status}); stop it or let it finish first`);
      continue;
    }
    const parentObjective = parent.request.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective;
    if (parentObjective?.MetricName !== objective?.MetricName || parentObjective?.Type !== objective?.Type) {
      problems.push(
        `${parentName} optimizes ${parentObjective?.Type ?? '?'} ${parentObjective?.MetricName ?? '?'}, not ${objective?.Type ?? '?'} ${objective?.MetricName ?? '?'}`,
      );
      continue;
    }
    if (config.WarmStartType === 'IdenticalDataAndAlgorithm') {
      const mine = trainingIdentity(request);
      const theirs = trainingIdentity(parent.request);
      const differing = Object.keys(mine).filter((k) => JSON.stringify(mine[k]) !== JSON.stringify(theirs[k]));
      if (differing.length > 0) {
        problems.push(
          `${parentName} ran a different training (${differing.join(', ')} differ); IdenticalDataAndAlgorithm needs the same data and algorithm, TransferLearning allows changes`,
        );
        continue;
      }
    }
    const observations = [
      ...parent.trials
        .filter((t) => t.status === 'Completed' && typeof t.objective === 'number' && Number.isFinite(t.objective))
        .sort((a, b) => a.number - b.number),
    ];
    for (const trial of observations) {
      if (space.check(trial.hyperParameters) !== undefined) continue;
      out.push({ parent: parentName, hyperParameters: space.normalize(trial.hyperParameters), objective: trial.objective as number });
    }
  }
  if (problems.length > 0) {
    throw new WarmStartError(`WarmStartConfig.ParentHyperParameterTuningJobs of ${name} cannot be used: ${problems.join('; ')}`);
  }
  return out;
}

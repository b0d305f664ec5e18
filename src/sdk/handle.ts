/**
 * What every study handle does alike, given a way to read its study: describe it, list its trials, its results and
 * its report (pure functions of the study, shared with the CLI and Finalize); wait by looking at it until it ends.
 */
import { hyperParameterNames, renderHtmlReport, studyRecommendation, summarizeStudy, toRecords, trialRows, type TrialRecord, type TrialRow } from '../report';
import { chooseEngine } from '../backends/native/engine';
import { isTerminal, realSleep } from '../study';
import { eventsBetween } from '../study/diff';
import type { Study } from '../study/types';
import type { StudyDescription, StudyHandle, WaitOptions } from './types';

/** The description of a study (pure; `now` in milliseconds since the epoch). */
export function describeStudy(study: Study, now: number, where: { runner: 'in-process' | 'deployed'; location: string; execution?: { arn: string; status?: string } }): StudyDescription {
  const s = summarizeStudy(study, now);
  const best = s.best;
  return {
    name: study.name,
    status: study.status,
    ...(study.statusReason ? { statusReason: study.statusReason } : {}),
    engine: study.native || chooseEngine(study.request) === 'native' ? 'native' : 'sagetune',
    backend: study.request.Sagetune?.Backend === 'local' ? 'local' : 'sagemaker',
    runner: where.runner,
    location: where.location,
    objective: s.objective,
    strategy: s.strategy,
    trainingJobStatusCounters: s.counters,
    trials: s.trials,
    ...(s.maxTrials !== undefined ? { maxTrials: s.maxTrials } : {}),
    ...(s.maxParallel !== undefined ? { maxParallel: s.maxParallel } : {}),
    ...(best && best.objective !== undefined
      ? { bestTrial: { trialNumber: best.trial, trainingJobName: best.jobName, objective: best.objective, hyperParameters: { ...best.hyperParameters } } }
      : {}),
    ...recommended(study),
    createdAt: s.createdAt,
    ...(s.endedAt ? { endedAt: s.endedAt } : {}),
    elapsedSeconds: s.elapsedSeconds,
    trainingSeconds: s.trialSeconds,
    ...(where.execution ? { execution: where.execution } : {}),
  };
}

function recommended(study: Study): Pick<StudyDescription, 'recommendedTrial'> {
  const rec = studyRecommendation(study);
  if (!rec) return {};
  return {
    recommendedTrial: {
      trialNumber: rec.trial,
      objective: rec.objective,
      predicted: rec.predicted,
      ...(rec.bestPredicted !== undefined ? { bestTrialPredicted: rec.bestPredicted } : {}),
    },
  };
}

/** A handle over a stored study: subclasses say how to read it, how to stop it, and where it lives. */
export abstract class StoredStudyHandle implements StudyHandle {
  constructor(
    readonly name: string,
    protected readonly now: () => number = Date.now,
  ) {}

  /** The study as stored now. */
  abstract study(): Promise<Study>;
  /** Where the study lives and who runs it, for its description. */
  protected abstract where(study: Study): Promise<{ runner: 'in-process' | 'deployed'; location: string; execution?: { arn: string; status?: string } }>;
  abstract stop(reason?: string): Promise<void>;
  /** Seconds between two looks while waiting. */
  protected abstract readonly defaultPollSeconds: number;

  async describe(): Promise<StudyDescription> {
    const study = await this.study();
    return describeStudy(study, this.now(), await this.where(study));
  }

  async trials(): Promise<TrialRow[]> {
    return trialRows(await this.study(), { now: this.now() });
  }

  async results(options: { readonly sort?: 'trial' | 'objective' } = {}): Promise<TrialRecord[]> {
    return toRecords(trialRows(await this.study(), { now: this.now(), sort: options.sort ?? 'trial' }));
  }

  async report(): Promise<string> {
    const study = await this.study();
    return renderHtmlReport(study, { now: this.now(), location: (await this.where(study)).location });
  }

  /** The names of the study's hyperparameters, in the order results and reports show them. */
  async hyperParameterNames(): Promise<string[]> {
    return hyperParameterNames(await this.study());
  }

  async wait(options: WaitOptions = {}): Promise<StudyDescription> {
    let last = '';
    let previous: Study | undefined;
    for (;;) {
      if (options.signal?.aborted) throw options.signal.reason;
      const study = await this.study();
      options.onStudy?.(study);
      if (options.onEvent) for (const event of eventsBetween(previous, study, this.now())) options.onEvent(event);
      previous = study;
      const description = describeStudy(study, this.now(), await this.where(study));
      const key = JSON.stringify({ ...description, elapsedSeconds: 0, trainingSeconds: 0 });
      if (key !== last) {
        last = key;
        options.onProgress?.(description);
      }
      if (isTerminal(description.status)) return description;
      await this.pause(options);
    }
  }

  /** Waits between two looks; an in-process run overrides it to wake on its own progress. */
  protected async pause(options: WaitOptions): Promise<void> {
    await realSleep((options.pollSeconds ?? this.defaultPollSeconds) * 1000, options.signal);
  }
}

/** The input and output format of `sagetune ask`, for its help (kept apart so that `--help` loads no optimizer). */
const MAX_ASK = 1000; // the core's MAX_ASK; test/cli/ask.test.ts checks that they agree

/** The help text of the input format (printed by `sagetune ask --help`). */
export const ASK_FORMAT_HELP = `
Input (a JSON object, from the file argument or standard input):
  ParameterRanges   SageMaker ParameterRanges (IntegerParameterRanges, ContinuousParameterRanges,
                    CategoricalParameterRanges), as in CreateHyperParameterTuningJob. Required.
  Objective         {"Type": "Minimize" | "Maximize"}. Default Minimize.
  Strategy          "Bayesian" (default) | "Random" | "Sobol" | "Grid".
  RandomSeed        integer >= 0. Default 0. Same input and seed give the same suggestions.
  n                 number of suggestions, 1 to ${MAX_ASK}. Default 1 (--count overrides it).
  history           the trials so far, in the order they were suggested, each:
                      {"hyperParameters": {...}, "value": 0.31}            completed, with its objective
                      {"hyperParameters": {...}, "state": "failed"}        failed (never informs the model)
                      {"hyperParameters": {...}, "state": "pending"}       still running (not suggested again)
                    optionally with "id" (a string; default "h1", "h2", ... by position) and "reason".
  modelState        optional: the "modelState" of the previous output. The Bayesian fit starts from it: pass it
                    back for the suggestions one long-running optimizer would make (past 100 observations
                    it is the fit's only start, so the ask is faster).

Output (JSON on standard output):
  {"suggestions": [{"id": "7", "hyperParameters": {"eta": 0.031, "max_depth": 6}}], "modelState": {...}}
  Evaluate each suggestion, append it to "history" with its "value" (or "state": "failed"), and ask again.

Example:
  echo '{"ParameterRanges": {"ContinuousParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "1"}]},
         "history": [{"hyperParameters": {"x": 0.5}, "value": 0.25}], "n": 2}' | sagetune ask
`;

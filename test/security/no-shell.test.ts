/**
 * Trial commands never pass through a shell: a command whose words and hyperparameter values carry shell syntax
 * (substitutions, separators, redirections, globs) reaches the training script word for word, and nothing of it runs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseRequest, cli, tempDir, writeRequest } from '../cli/helpers';

test('shell syntax in the command and in hyperparameter values reaches the script verbatim and runs nothing', async () => {
  const tmp = tempDir('sagetune-shell-');
  try {
    // The script records the arguments it got, then reports a loss.
    writeFileSync(
      join(tmp.dir, 'train.js'),
      `require('fs').appendFileSync(${JSON.stringify(join(tmp.dir, 'argv.jsonl'))}, JSON.stringify(process.argv.slice(2)) + '\\n');\nconsole.log('final val_loss: 0.5');\n`,
    );
    const hostile = ['$(touch pwned-1)', '`touch pwned-2`', 'a; touch pwned-3', 'b && touch pwned-4 | cat > pwned-5', '*'];
    const req = baseRequest();
    req.HyperParameterTuningJobName = 'no-shell';
    req.HyperParameterTuningJobConfig.Strategy = 'Grid';
    req.HyperParameterTuningJobConfig.ResourceLimits = { MaxParallelTrainingJobs: 1 };
    req.HyperParameterTuningJobConfig.ParameterRanges = { CategoricalParameterRanges: [{ Name: 'mode', Values: hostile }] };
    req.Sagetune.Local.Command = ['node', 'train.js', '$(touch pwned-6)', '>', 'pwned-7'];
    const file = writeRequest(tmp.dir, req);
    const out = await cli(['run', file, '--store-dir', join(tmp.dir, 'studies'), '--progress', 'off', '--no-report']);
    expect(out.code).toBe(0);
    const runs = readFileSync(join(tmp.dir, 'argv.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
    expect(runs).toHaveLength(hostile.length);
    // Each run got the command's words, then --mode and one hostile value, unchanged.
    const values = runs.map((argv) => {
      expect(argv.slice(0, 2)).toEqual(['$(touch pwned-6)', '>']);
      expect(argv).toContain('pwned-7');
      return argv[argv.indexOf('--mode') + 1];
    });
    expect(values.sort()).toEqual([...hostile].sort());
    for (let i = 1; i <= 7; i++) expect({ file: `pwned-${i}`, exists: existsSync(join(tmp.dir, `pwned-${i}`)) }).toEqual({ file: `pwned-${i}`, exists: false });
  } finally {
    tmp.cleanup();
  }
});

// `ecat validate FILE|-`: the schema, the rules and the CareConnect check, without storing anything.
import { assessRequest } from '../assess.ts';
import { createFoundation } from '../app.ts';
import { loadConfig } from '../config.ts';
import { EXIT, writeLine, type Command } from './io.ts';
import { onePath, parseArgs, readJsonInput } from './read-input.ts';
import { describeAssessment } from './report.ts';

export const run: Command = async (args, io) => {
  const { positional, flags } = parseArgs(args, { flags: ['--json'] });
  const path = onePath(positional);
  const config = loadConfig(io.env);
  const input = await readJsonInput(path, io.stdin);
  if (!input.ok) {
    writeLine(io.stderr, `refused: ${input.message}`);
    return EXIT.refused;
  }
  const foundation = await createFoundation(config);
  const assessment = await assessRequest(input.value, foundation);
  if (flags.has('--json')) {
    writeLine(io.stdout, JSON.stringify(assessment, null, 2));
  } else {
    const out = assessment.outcome === 'accepted' ? io.stdout : io.stderr;
    for (const line of describeAssessment(assessment)) writeLine(out, line);
  }
  return assessment.outcome === 'accepted' ? EXIT.ok : EXIT.refused;
};

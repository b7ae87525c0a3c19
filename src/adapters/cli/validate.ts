// `ecat validate FILE|-`: the schema, the rules and the CareConnect check, without storing anything.
import { assessFile } from './assess-file.ts';
import { EXIT, writeLine, type Command } from './io.ts';
import { onePath, parseArgs } from './read-input.ts';
import { describeAssessment } from './report.ts';

export const run: Command = async (args, io) => {
  const { positional, flags } = parseArgs(args, { flags: ['--json'] });
  const assessed = await assessFile(onePath(positional), io);
  if (!assessed) return EXIT.refused;
  const { assessment } = assessed;
  if (flags.has('--json')) {
    writeLine(io.stdout, JSON.stringify(assessment, null, 2));
  } else {
    const out = assessment.outcome === 'accepted' ? io.stdout : io.stderr;
    for (const line of describeAssessment(assessment)) writeLine(out, line);
  }
  return assessment.outcome === 'accepted' ? EXIT.ok : EXIT.refused;
};

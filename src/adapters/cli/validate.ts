// `ecat validate FILE|-`: the schema, the rules and the CareConnect check, without storing anything.
import { assessFile } from './assess-file.ts';
import { defineCommand, fileOperand } from './command.ts';
import { EXIT, writeLine } from './io.ts';
import { describeAssessment } from './report.ts';

export const command = defineCommand(
  {
    operand: fileOperand('the request as JSON'),
    about: [
      'Prints the findings: the field errors, the urgency and the CareConnect finding, and any warnings.',
      'Stores nothing and needs no Redis.',
    ],
    options: {
      json: { type: 'boolean', description: 'print the assessment as JSON' },
    },
    exits: { 0: 'valid (warnings allowed)', 1: 'refused, or the file is not JSON' },
  },
  async ({ operand, values }, io) => {
    const assessed = await assessFile(operand, io);
    if (!assessed) return EXIT.refused;
    const { assessment } = assessed;
    if (values.json) {
      writeLine(io.stdout, JSON.stringify(assessment, null, 2));
    } else {
      const out = assessment.outcome === 'accepted' ? io.stdout : io.stderr;
      for (const line of describeAssessment(assessment)) writeLine(out, line);
    }
    return assessment.outcome === 'accepted' ? EXIT.ok : EXIT.refused;
  },
);

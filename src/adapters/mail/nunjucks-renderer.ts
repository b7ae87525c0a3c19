// The email templates as Nunjucks renders them from templates/. A template that reads a missing
// value is a fault, as GOV.UK Notify refuses a message with missing personalisation.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Nunjucks from 'nunjucks';
import type { TemplateRenderer } from '../../domain/email/message.ts';

// Loaded at the first render, not at start: `ecat validate` renders nothing, and Nunjucks is a
// sizeable part of a command line's start (bench/README.md). It is CommonJS, so require is sync.
const require = createRequire(import.meta.url);

export function createTemplateRenderer(dir: string): TemplateRenderer {
  const options = { throwOnUndefined: true, trimBlocks: false, lstripBlocks: false };
  let environments: { html: Nunjucks.Environment; text: Nunjucks.Environment } | undefined;
  const environmentFor = (name: string) => {
    if (!environments) {
      const nunjucks = require('nunjucks') as typeof Nunjucks;
      const loader = () => new nunjucks.FileSystemLoader(dir, { noCache: false });
      environments = {
        html: new nunjucks.Environment(loader(), { ...options, autoescape: true }),
        text: new nunjucks.Environment(loader(), { ...options, autoescape: false }),
      };
    }
    return name.endsWith('.html.njk') ? environments.html : environments.text;
  };
  const versions = new Map<string, string>();
  return {
    render(name, view) {
      const environment = environmentFor(name);
      try {
        return environment.render(name, view);
      } catch (error) {
        throw new Error(`template ${name} could not be rendered: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },
    version(family) {
      let version = versions.get(family);
      if (version === undefined) {
        const hash = createHash('sha256');
        for (const part of ['subject', 'text', 'html']) {
          hash.update(readFileSync(join(dir, `${family}.${part}.njk`)));
        }
        version = hash.digest('hex').slice(0, 12);
        versions.set(family, version);
      }
      return version;
    },
  };
}

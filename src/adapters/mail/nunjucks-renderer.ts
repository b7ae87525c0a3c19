// The email templates as Nunjucks renders them from templates/. A template that reads a missing
// value is a fault, as GOV.UK Notify refuses a message with missing personalisation.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nunjucks from 'nunjucks';
import type { TemplateRenderer } from '../../domain/email/message.ts';

export function createTemplateRenderer(dir: string): TemplateRenderer {
  const options = { throwOnUndefined: true, trimBlocks: false, lstripBlocks: false };
  const loader = () => new nunjucks.FileSystemLoader(dir, { noCache: false });
  const html = new nunjucks.Environment(loader(), { ...options, autoescape: true });
  const text = new nunjucks.Environment(loader(), { ...options, autoescape: false });
  const versions = new Map<string, string>();
  return {
    render(name, view) {
      const environment = name.endsWith('.html.njk') ? html : text;
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

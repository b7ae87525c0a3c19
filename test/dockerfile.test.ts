// The image as the Dockerfile builds it (no Docker engine here, so read rather than run): a build
// stage with the tools, a runtime stage on a slim Node 24 with production dependencies only, not
// root, a health check on /readyz, writes under /data only (a read-only root filesystem), and
// every folder the package ships copied in.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Stage {
  from: string;
  name?: string;
  instructions: { op: string; args: string }[];
}

/** The Dockerfile's stages, each with its instructions (continuation lines joined). */
function stages(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const found: Stage[] = [];
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const [from = '', , name] = rest;
      found.push({ from, ...(name ? { name } : {}), instructions: [] });
    } else {
      found.at(-1)?.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return found;
}

const dockerfile = stages(readFileSync('Dockerfile', 'utf8'));
const runtime = dockerfile.at(-1)!;
const ops = (stage: Stage, op: string) =>
  stage.instructions.filter((i) => i.op === op).map((i) => i.args);

describe('the Dockerfile', () => {
  it('builds in one stage and runs on a slim Node 24 in another', () => {
    expect(dockerfile.map((stage) => stage.name)).toEqual(['build', 'runtime']);
    expect(runtime.from).toBe('node:24-slim');
    expect(ops(dockerfile[0]!, 'RUN').join('\n')).toContain('npm run build');
  });

  it('installs production dependencies only, with no install scripts, and no source or compiler', () => {
    const installs = ops(runtime, 'RUN').filter((run) => run.includes('npm ci'));
    expect(installs).toHaveLength(1);
    for (const flag of ['--omit=dev', '--omit=optional', '--ignore-scripts']) {
      expect(installs[0]).toContain(flag);
    }
    const copied = ops(runtime, 'COPY').join('\n');
    expect(copied).not.toMatch(/\bsrc\/|tsconfig/);
    expect(copied).toMatch(/--from=build \/app\/dist\/ dist\//);
  });

  it('copies every folder the package ships that ecat reads at run time', () => {
    const shipped = (JSON.parse(readFileSync('package.json', 'utf8')) as { files: string[] }).files
      .filter((file) => file.endsWith('/'))
      .map((folder) => folder.replace(/\/$/, ''));
    const copied = ops(runtime, 'COPY').join('\n');
    for (const folder of shipped) expect(copied).toMatch(new RegExp(`\\b${folder}/ ${folder}/`));
  });

  it('runs as a user that is not root, and checks its health on /readyz', () => {
    const users = ops(runtime, 'USER');
    expect(users.at(-1)).toBe('node');
    const health = ops(runtime, 'HEALTHCHECK').join('\n');
    expect(health).toContain('/readyz');
    expect(health).not.toMatch(/\bcurl\b|\bwget\b/);
  });

  it('writes only under /data, so the root filesystem can be read-only', () => {
    const env = ops(runtime, 'ENV').join(' ');
    expect(env).toContain('OUTBOX_DIR=/data/outbox');
    expect(env).toContain('NODE_ENV=production');
    expect(ops(runtime, 'VOLUME').join(' ')).toContain('/data');
  });

  it('leaves the secrets and the local build out of the context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    for (const entry of ['node_modules/', 'dist/', '.env', 'var/'])
      expect(ignored).toContain(entry);
  });
});

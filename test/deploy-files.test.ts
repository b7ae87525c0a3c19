// The deployment files as a platform team reads them (no Docker engine or cluster here, so read,
// not run): compose built from the Dockerfile with credentials wherever a login is published,
// the Kubernetes manifests non-root on a read-only root filesystem with probes and a grace
// longer than the drain, and every metric the dashboard and the alert rules ask for served.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import pino from 'pino';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorkerServer } from '../src/adapters/http/worker-server.ts';
import { createWorkerMetrics } from '../src/adapters/queues/worker-metrics.ts';
import { CONFIG_VARIABLES, loadConfig } from '../src/wiring/config.ts';
import { openRuntime, WORKER_DRAIN_MS, type Runtime } from '../src/wiring/runtime.ts';
import { deletePrefix, testConfig, uniquePrefix } from './support/ecat.ts';
import { buildTestServer } from './support/web.ts';

interface ComposeService {
  build?: string;
  image?: string;
  command?: string[];
  read_only?: boolean;
  user?: string;
  privileged?: boolean;
  volumes?: string[];
  ports?: string[];
  environment?: Record<string, string>;
}

interface PrometheusConfig {
  scrape_configs: {
    authorization: { credentials_file: string };
    static_configs: { targets: string[] }[];
  }[];
}

interface Probe {
  httpGet: { path: string; port: string };
}

interface Container {
  args: string[];
  ports: { name: string; containerPort: number }[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string } } }[];
  livenessProbe: Probe;
  readinessProbe: Probe;
  securityContext: {
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts: { mountPath: string }[];
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
}

/** The fields of a Deployment, Service or ConfigMap these checks read. */
interface KubeObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: {
    selector?: Record<string, string>;
    ports?: { targetPort: string }[];
    template?: {
      metadata: { labels: Record<string, string> };
      spec: {
        securityContext: { runAsNonRoot?: boolean; runAsUser?: number };
        terminationGracePeriodSeconds: number;
        containers: Container[];
      };
    };
  };
}

interface AlertQuery {
  model: {
    expr?: string;
    type?: string;
    conditions?: { evaluator: { type: string; params: number[] } }[];
  };
}
interface AlertRules {
  groups: { rules: { for: string; data: AlertQuery[] }[] }[];
}

/** A YAML file as the shape the caller reads it as (YAML 1.1 merge keys, as compose's `<<`). */
const readYaml = (file: string): unknown => parse(readFileSync(file, 'utf8'), { merge: true });

const DEFAULTS = loadConfig({});
const ALERTS_FILE = 'deploy/monitoring/grafana/provisioning/alerting/ecat-alerts.yml';

describe('docker-compose.yml', () => {
  const { services } = readYaml('docker-compose.yml') as {
    services: Record<string, ComposeService>;
  };
  const service = (name: string): ComposeService => {
    const found = services[name];
    if (!found) throw new Error(`no service ${name} in docker-compose.yml`);
    return found;
  };

  it('runs the web server and the worker from the Dockerfile, read-only, writing under /data', () => {
    for (const [name, command] of [
      ['web', 'serve'],
      ['worker', 'worker'],
    ] as const) {
      const ecat = service(name);
      expect(ecat.build, name).toBe('.');
      expect(ecat.command, name).toEqual([command]);
      expect(ecat.read_only, name).toBe(true);
      expect(ecat.user, `${name} runs as the image's user, not root`).toBeUndefined();
      expect(ecat.privileged, name).toBeUndefined();
      expect(ecat.volumes, name).toContainEqual(expect.stringMatching(/:\/data$/));
      expect(ecat.environment?.REDIS_URL, name).toBe('redis://redis:6379');
      expect(ecat.environment?.SMTP_TLS, `${name}: Mailpit's TLS opt-out, by name`).toBe('off');
    }
    expect(service('worker').environment?.WORKER_PORT).toBe(String(DEFAULTS.worker.port));
    expect(service('web').ports).toEqual([`\${PUBLISH_ADDRESS:-127.0.0.1}:3000:3000`]);
  });

  it('keeps Redis on append-only files, and pins every image', () => {
    const redis = (service('redis').command ?? []).join(' ');
    expect(redis).toMatch(/--appendonly yes/);
    expect(redis).toMatch(/--maxmemory-policy noeviction/);
    for (const [name, { image }] of Object.entries(services)) {
      if (image === 'ecat:local') continue;
      expect(image, name).toMatch(/^[\w./-]+:v?\d+(\.\d+)+(-\w+)?$/);
    }
    expect(service('mailpit').image).toMatch(/^axllent\/mailpit:v\d+\.\d+\.\d+$/);
  });

  it('asks for credentials wherever a port may be published beyond loopback', () => {
    for (const [name, { ports = [], environment = {} }] of Object.entries(services)) {
      const credentials = Object.entries(environment).filter(([key]) =>
        /(TOKEN|PASSWORD)$/.test(key),
      );
      for (const port of ports) {
        if (port.startsWith('127.0.0.1:')) continue;
        expect(credentials.length, `${name} publishes ${port} with no login`).toBeGreaterThan(0);
        for (const [key, value] of credentials) {
          expect(value, `${name}'s ${key}: required, no default`).toMatch(/^\$\{\w+:\?[^}]+\}$/);
        }
      }
    }
    // Those without a login of their own are never published beyond this machine.
    for (const name of ['mailpit', 'prometheus']) {
      for (const port of service(name).ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('has Prometheus scrape both processes with the metrics token, and Grafana provisioned', () => {
    const prometheus = service('prometheus');
    const jobs = (readYaml('deploy/monitoring/prometheus.yml') as PrometheusConfig).scrape_configs;
    const targets = jobs.flatMap((job) => job.static_configs.flatMap((c) => c.targets));
    expect(targets.sort()).toEqual([`web:${DEFAULTS.http.port}`, `worker:${DEFAULTS.worker.port}`]);
    for (const job of jobs) {
      // The file the entrypoint writes METRICS_TOKEN to, before Prometheus starts.
      expect((prometheus.command ?? []).join(' ')).toContain(job.authorization.credentials_file);
    }
    expect(prometheus.volumes).toContain(
      './deploy/monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
    const grafana = service('grafana');
    expect(grafana.volumes).toContain(
      './deploy/monitoring/grafana/provisioning:/etc/grafana/provisioning:ro',
    );
    expect(grafana.environment?.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
  });

  // Debian's docker-compose parses the file as Docker would, without an engine. Where it is not
  // installed (a code host's runner) the checks above still hold the file to its facts.
  const dockerCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!dockerCompose)(
    'parses with docker-compose, and refuses to start without the credentials',
    () => {
      const secrets = {
        API_TOKEN: 'a',
        ADMIN_PASSWORD: 'b',
        METRICS_TOKEN: 'c',
        GRAFANA_ADMIN_PASSWORD: 'd',
      };
      const env = { PATH: process.env.PATH ?? '' };
      execFileSync('docker-compose', ['config', '-q'], { env: { ...env, ...secrets } });
      const missing = spawnSync('docker-compose', ['config', '-q'], { env, encoding: 'utf8' });
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain('set API_TOKEN in deploy/compose.env');
    },
  );
});

describe('the Kubernetes manifests (deploy/kubernetes)', () => {
  const folder = 'deploy/kubernetes';
  const { resources } = readYaml(`${folder}/kustomization.yaml`) as { resources: string[] };
  const objects = readdirSync(folder)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(`${folder}/${file}`, 'utf8')).map((doc) => ({
        file,
        object: doc.toJS() as KubeObject,
      })),
    );
  const applied = objects
    .filter(({ file }) => resources.includes(file))
    .map(({ object }) => object);
  const deployments = applied.filter((object) => object.kind === 'Deployment');
  const podOf = (deployment: KubeObject) => {
    const pod = deployment.spec?.template;
    if (!pod) throw new Error(`${deployment.metadata.name} has no pod template`);
    return pod;
  };
  const containerOf = (deployment: KubeObject): Container => {
    const [container] = podOf(deployment).spec.containers;
    if (!container) throw new Error(`${deployment.metadata.name} has no container`);
    return container;
  };
  const byArgs = (command: string): KubeObject => {
    const found = deployments.find((d) => containerOf(d).args[0] === command);
    if (!found) throw new Error(`no Deployment runs ecat ${command}`);
    return found;
  };

  it('applies the ConfigMap, the two Deployments and their Services, and no placeholder secret', () => {
    expect(applied.map((object) => object.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Deployment',
      'Service',
      'Service',
    ]);
    expect(byArgs('serve').metadata.name).toBe('ecat-web');
    expect(byArgs('worker').metadata.name).toBe('ecat-worker');
  });

  it('runs each as non-root on a read-only root filesystem, writing only to /data', () => {
    for (const deployment of deployments) {
      const pod = podOf(deployment).spec;
      const name = deployment.metadata.name;
      expect(pod.securityContext.runAsNonRoot, name).toBe(true);
      expect(pod.securityContext.runAsUser, name).not.toBe(0);
      for (const container of pod.containers) {
        expect(container.securityContext.readOnlyRootFilesystem, name).toBe(true);
        expect(container.securityContext.allowPrivilegeEscalation, name).toBe(false);
        expect(container.securityContext.capabilities?.drop, name).toEqual(['ALL']);
        expect(
          container.volumeMounts.map((mount) => mount.mountPath),
          name,
        ).toEqual(['/data']);
        expect(container.resources.requests, name).toBeDefined();
        expect(container.resources.limits?.memory, name).toBeDefined();
      }
    }
  });

  it('probes /healthz for liveness and /readyz for readiness on the port each process serves', () => {
    for (const [command, port] of [
      ['serve', DEFAULTS.http.port],
      ['worker', DEFAULTS.worker.port],
    ] as const) {
      const container = containerOf(byArgs(command));
      const named = container.ports.find((p) => p.containerPort === port);
      expect(named, `${command} declares port ${port}`).toBeDefined();
      expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: named?.name });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: named?.name });
    }
  });

  it('gives each more time to stop than it takes to drain', () => {
    const grace = (command: string) => podOf(byArgs(command)).spec.terminationGracePeriodSeconds;
    expect(grace('worker')).toBeGreaterThan(WORKER_DRAIN_MS / 1000);
    expect(grace('serve')).toBeGreaterThan(DEFAULTS.http.limits.requestTimeoutMs / 1000);
  });

  it('takes secrets by reference only, and names only variables ecat knows', () => {
    const known = new Set(CONFIG_VARIABLES);
    for (const deployment of deployments) {
      for (const variable of containerOf(deployment).env) {
        expect(known.has(variable.name), `${variable.name} is not one of ecat's`).toBe(true);
        expect(variable.value, `${variable.name} must come from the Secret`).toBeUndefined();
        expect(variable.valueFrom?.secretKeyRef?.name).toBe('ecat');
      }
    }
    const data = applied.find((object) => object.kind === 'ConfigMap')?.data ?? {};
    for (const key of Object.keys(data)) {
      expect(known.has(key), `ConfigMap key ${key} is not one of ecat's`).toBe(true);
      expect(key).not.toMatch(/TOKEN|PASSWORD|SECRET/);
    }
    expect(data.WORKER_PORT).toBe(String(DEFAULTS.worker.port));
  });

  it('gives each Deployment a Service that selects its pods and targets a port it names', () => {
    for (const command of ['serve', 'worker']) {
      const pod = podOf(byArgs(command));
      const ports = containerOf(byArgs(command)).ports.map((p) => p.name);
      const service = applied.find(
        (object) =>
          object.kind === 'Service' &&
          Object.entries(object.spec?.selector ?? {}).every(
            ([key, value]) => pod.metadata.labels[key] === value,
          ),
      );
      expect(service, `a Service selects the ${command} pods`).toBeDefined();
      for (const { targetPort } of service?.spec?.ports ?? []) expect(ports).toContain(targetPort);
    }
  });
});

/** Every `expr` in the dashboard and the alert rules, with where it was found. */
function monitoringExpressions(): { where: string; expr: string }[] {
  const found: { where: string; expr: string }[] = [];
  const walk = (value: unknown, where: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        walk(item, `${where}[${i}]`);
      });
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'expr' && typeof inner === 'string') found.push({ where, expr: inner });
        else walk(inner, `${where}.${key}`);
      }
    }
  };
  const dashboard: unknown = JSON.parse(
    readFileSync('deploy/monitoring/grafana/dashboards/ecat.json', 'utf8'),
  );
  walk(dashboard, 'ecat.json');
  walk(readYaml(ALERTS_FILE), 'alerts');
  return found;
}

describe('the dashboard and alert rules', () => {
  const prefix = uniquePrefix('deploy-metrics');
  let runtime: Runtime;
  const families = new Set<string>();

  beforeAll(async () => {
    runtime = await openRuntime(testConfig(prefix));
    const web = await buildTestServer(runtime);
    const worker = await buildWorkerServer(
      runtime,
      { metrics: createWorkerMetrics().registry, stopping: false },
      pino({ level: 'silent' }),
    );
    for (const app of [web, worker]) {
      const text = (await app.inject({ url: '/metrics' })).body;
      for (const [, name] of text.matchAll(/^# TYPE (\S+) /gm)) families.add(name ?? '');
      await app.close();
    }
  });

  afterAll(async () => {
    await runtime.close();
    await deletePrefix(prefix);
  });

  it('use only metrics that ecat serves on /metrics', () => {
    const expressions = monitoringExpressions();
    expect(expressions.length).toBeGreaterThanOrEqual(10);
    for (const { where, expr } of expressions) {
      const names = expr.match(/\b(?:ecat|process|nodejs)_[a-z0-9_]+/g) ?? [];
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        const family = families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
        expect(families.has(family), `${where}: ${name} is not on /metrics`).toBe(true);
      }
    }
  });

  it('alert on overdue for over an hour, failed jobs, and the oldest waiting job over 10 minutes', () => {
    const rules = (readYaml(ALERTS_FILE) as AlertRules).groups.flatMap((group) => group.rules);
    const rule = (metric: string) => {
      const found = rules.find((r) => r.data.some((q) => q.model.expr?.includes(metric)));
      if (!found) throw new Error(`no alert rule on ${metric}`);
      return found;
    };
    const threshold = (metric: string) =>
      rule(metric).data.find((q) => q.model.type === 'threshold')?.model.conditions?.[0]?.evaluator;
    expect(rule('ecat_overdue_requests').for).toBe('1h');
    expect(threshold('ecat_overdue_requests')).toEqual({ type: 'gt', params: [0] });
    expect(rule('ecat_worker_jobs_total').data[0]?.model.expr).toContain('outcome="failed"');
    expect(threshold('ecat_queue_oldest_waiting_seconds')).toEqual({ type: 'gt', params: [600] });
  });
});

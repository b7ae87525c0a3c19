// Real Redis topologies on free loopback ports, for tests of ecat on managed Redis: a Redis
// Cluster, a Sentinel group that fails over for real, and a TLS-only server signed by a test CA.
// Each lives in a temporary directory of its own; stop() kills every process and removes it.
// Nothing here prints: a failure is an error naming what was awaited, with the server's log.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { until } from './poll.ts';
import { freePort } from './redis-server.ts';

export interface Address {
  host: string;
  port: number;
}

const HOST = '127.0.0.1';
const MASTER_NAME = 'ecat-primary';
const CLUSTER_SLOTS = 16_384;
const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// Asking a server something

interface ConnectOptions {
  password?: string | undefined;
  tls?: ConnectionOptions | undefined;
}

/** One command on a fresh connection that never retries: a poll wants "not yet", not a wait. */
async function ask(
  address: Address,
  command: string,
  args: (string | number)[] = [],
  options: ConnectOptions = {},
): Promise<unknown> {
  const client = new Redis({
    host: address.host,
    port: address.port,
    password: options.password,
    tls: options.tls,
    // RESP2 keeps SENTINEL and ROLE replies flat arrays whatever ioredis maps RESP3 to.
    protocol: 2,
    lazyConnect: true,
    connectTimeout: 1_000,
    commandTimeout: 2_000,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableReadyCheck: false,
    // Sentinel 7.0 has no CLIENT SETINFO.
    disableClientInfo: true,
  });
  // The failure reaches the caller through connect() or the command; the event would only be
  // printed as an unhandled error.
  client.on('error', ignore);
  try {
    await client.connect();
    return await client.call(command, args);
  } finally {
    client.disconnect();
  }
}

function ignore(): void {
  return undefined;
}

function list(reply: unknown): unknown[] {
  return Array.isArray(reply) ? (reply as unknown[]) : [];
}

/** A SENTINEL REPLICAS / SENTINELS entry: a flat list of names and values. */
function fieldsOf(entry: unknown): Map<string, string> {
  const items = list(entry);
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < items.length; i += 2) fields.set(String(items[i]), String(items[i + 1]));
  return fields;
}

/** INFO's `name:value` lines. */
function infoOf(reply: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of String(reply).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

function addressOf(reply: unknown): Address | undefined {
  const [host, port] = list(reply);
  if (typeof host !== 'string' || port === undefined) return undefined;
  return { host, port: Number(port) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// Processes and their temporary directory

class ServerExited extends Error {
  readonly output: string;

  constructor(what: string, output: string) {
    super(`${what} exited while starting\n${output}`);
    this.output = output;
  }

  get addressInUse(): boolean {
    return this.output.includes('Address already in use');
  }
}

interface Server {
  readonly address: Address;
  readonly args: readonly string[];
  readonly logFile: string;
  /** How to reach it: its password, its TLS trust. */
  readonly connect: ConnectOptions;
  child: ChildProcess;
  exited: Promise<void>;
  /** What it printed before its log was open, then the end of its log. */
  output: () => string;
}

function isRunning(server: Server): boolean {
  return server.child.exitCode === null && server.child.signalCode === null;
}

/** Spawns (or respawns) the server's process with its own arguments. */
function spawnServer(server: Omit<Server, 'child' | 'exited' | 'output'>): Server {
  const child = spawn('redis-server', server.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  const keep = (chunk: Buffer) => {
    printed = (printed + chunk.toString()).slice(-4_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
    child.once('error', (error) => {
      printed += `\n${error.message}`;
      resolve();
    });
  });
  const output = () => `${printed}\n${tail(server.logFile)}`.trim();
  return { ...server, child, exited, output };
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}

async function kill(server: Server): Promise<void> {
  if (!isRunning(server)) return;
  server.child.kill('SIGKILL');
  await server.exited;
}

/**
 * Waits until the server answers as itself: INFO's process id is our child's, so a server of
 * another test that took the port in the meantime does not pass for ours.
 */
async function waitUntilServing(server: Server, what: string, timeoutMs = 10_000): Promise<void> {
  await until(
    async () => {
      if (!isRunning(server)) throw new ServerExited(what, server.output());
      const info = await ask(server.address, 'INFO', ['server'], server.connect).catch(ignore);
      return info !== undefined && infoOf(info).get('process_id') === String(server.child.pid);
    },
    timeoutMs,
    () => `${what} to answer on port ${server.address.port}\n${server.output()}`,
  );
}

/** A topology's directory and processes, and when it began starting. */
class Scope {
  readonly servers: Server[] = [];
  private readonly usedPorts = new Set<number>();
  private readonly startedAt = Date.now();
  // A test run that ends without its afterAll must not leave servers behind.
  private readonly onExit = () => {
    for (const server of this.servers) if (isRunning(server)) server.child.kill('SIGKILL');
  };

  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
    process.on('exit', this.onExit);
  }

  static async create(name: string): Promise<Scope> {
    return new Scope(await mkdtemp(join(tmpdir(), `ecat-${name}-`)));
  }

  elapsedMs(): number {
    return Date.now() - this.startedAt;
  }

  /** A free port not already handed to this topology (a node needs two that differ). */
  async port(): Promise<number> {
    for (;;) {
      const port = await freePort();
      if (!this.usedPorts.has(port)) {
        this.usedPorts.add(port);
        return port;
      }
    }
  }

  async subdir(name: string): Promise<string> {
    const dir = join(this.dir, name);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async stop(): Promise<void> {
    process.off('exit', this.onExit);
    await Promise.all(this.servers.map(kill));
    await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * Starts a server on a free port. freePort() closes its socket before redis-server binds,
   * so a parallel test can take the port first: then it tries another.
   */
  async start(
    what: string,
    build: (port: number) => Promise<Omit<Server, 'child' | 'exited' | 'output'>>,
  ): Promise<Server> {
    for (let attempt = 1; ; attempt++) {
      const server = spawnServer(await build(await this.port()));
      this.servers.push(server);
      try {
        await waitUntilServing(server, what);
        return server;
      } catch (error) {
        await kill(server);
        if (!(error instanceof ServerExited && error.addressInUse && attempt < 3)) throw error;
      }
    }
  }

  /** Runs a topology's start; if it fails, nothing it started is left running. */
  async build<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Redis Cluster

export interface RedisCluster {
  /** The masters, each owning a share of the slots. */
  nodes: Address[];
  /** `redis://127.0.0.1:<port>` of the first node: what a cluster client is given. */
  seedUrl: string;
  /** How long starting took, from the call to every node reporting the cluster ok. */
  startupMs: number;
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** How many masters share the slots; redis-cli wants at least 3. */
  masters?: number;
}

export async function startRedisCluster({
  masters = 3,
}: RedisClusterOptions = {}): Promise<RedisCluster> {
  if (masters < 3) throw new Error('redis-cli --cluster create needs at least 3 masters');
  const scope = await Scope.create('cluster');
  return scope.build(async () => {
    const servers = await Promise.all(
      Array.from({ length: masters }, (_, index) =>
        scope.start(`cluster node ${index + 1}`, (port) => clusterNode(scope, port)),
      ),
    );
    const nodes = servers.map((server) => server.address);
    await createCluster(nodes);
    await Promise.all(nodes.map((node) => waitForClusterOk(node, masters)));
    return {
      nodes,
      seedUrl: `redis://${HOST}:${String(nodes[0]?.port)}`,
      startupMs: scope.elapsedMs(),
      stop: () => scope.stop(),
    };
  });
}

async function clusterNode(scope: Scope, port: number) {
  const dir = await scope.subdir(`node-${port}`);
  // The bus port is its own free port: the default, port + 10000, may be taken or past 65535.
  const busPort = await scope.port();
  const logFile = join(dir, 'redis.log');
  const args = [
    ...['--port', String(port), '--bind', HOST, '--dir', dir, '--logfile', logFile],
    ...['--cluster-enabled', 'yes', '--cluster-port', String(busPort)],
    ...['--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '2000'],
    ...['--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
  ];
  return { address: { host: HOST, port }, args, logFile, connect: {} };
}

async function createCluster(nodes: Address[]): Promise<void> {
  const args = ['--cluster', 'create', ...nodes.map(({ host, port }) => `${host}:${port}`)];
  try {
    await run('redis-cli', [...args, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 30_000,
    });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`redis-cli --cluster create failed: ${messageOf(error)}\n${stdout}${stderr}`);
  }
}

async function waitForClusterOk(node: Address, masters: number): Promise<void> {
  let last = '';
  await until(
    async () => {
      last = String(await ask(node, 'CLUSTER', ['INFO']).catch(messageOf));
      const info = infoOf(last);
      return (
        info.get('cluster_state') === 'ok' &&
        info.get('cluster_slots_assigned') === String(CLUSTER_SLOTS) &&
        info.get('cluster_known_nodes') === String(masters)
      );
    },
    15_000,
    () => `cluster node ${node.port} to report cluster_state:ok with every slot\n${last}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Sentinel

export interface SentinelGroupOptions {
  /** requirepass and masterauth on the data nodes, auth-pass in the sentinels. */
  password?: string;
}

export interface SentinelGroup {
  masterName: 'ecat-primary';
  sentinels: Address[];
  /** The two data nodes, primary first as started; which is primary now, ask primary(). */
  nodes: Address[];
  password: string | undefined;
  startupMs: number;
  /** The primary as a sentinel names it (SENTINEL GET-MASTER-ADDR-BY-NAME). */
  primary(): Promise<Address>;
  /**
   * SENTINEL FAILOVER; resolves once every sentinel names the other node, it answers ROLE
   * master, and the old primary is its connected replica again (so the group can fail over
   * once more).
   */
  failoverByCommand(): Promise<void>;
  /** SIGKILLs the current primary's process; its address. */
  killPrimary(): Promise<Address>;
  /**
   * Starts a killed node again: same port, data directory and config file. The file is the
   * one sentinel rewrote when it last changed the node's role, as on a real host, so an old
   * primary comes back claiming to be primary until sentinel demotes it (waitForReplica).
   */
  restartNode(port: number): Promise<void>;
  /** Until the node is a connected replica of the current primary and every sentinel sees it. */
  waitForReplica(node: Address, timeoutMs?: number): Promise<void>;
  /** Until every sentinel names a primary other than `from` and it answers ROLE master. */
  waitForPrimaryChange(from: Address, timeoutMs?: number): Promise<Address>;
  stop(): Promise<void>;
}

const SENTINELS = 3;

export async function startSentinelGroup(
  options: SentinelGroupOptions = {},
): Promise<SentinelGroup> {
  const { password } = options;
  const scope = await Scope.create('sentinel');
  return scope.build(async () => {
    const first = await scope.start('the primary', (port) => dataNode(scope, port, password));
    const second = await scope.start('the replica', (port) =>
      dataNode(scope, port, password, first.address.port),
    );
    const sentinels: Address[] = [];
    for (let index = 1; index <= SENTINELS; index++) {
      const sentinel = await scope.start(`sentinel ${index}`, (port) =>
        sentinelNode(scope, port, first.address.port, password),
      );
      await quicken(sentinel.address);
      sentinels.push(sentinel.address);
    }
    const group = sentinelGroup(scope, [first, second], sentinels, password);
    await waitForHealthy(sentinels, first.address, second.address, password, 15_000);
    return { ...group, startupMs: scope.elapsedMs() };
  });
}

function sentinelGroup(
  scope: Scope,
  started: Server[],
  sentinels: Address[],
  password: string | undefined,
): Omit<SentinelGroup, 'startupMs'> {
  const servers = new Map(started.map((server) => [server.address.port, server]));
  const serverAt = (port: number): Server => {
    const server = servers.get(port);
    if (!server) throw new Error(`no data node of this sentinel group listens on ${port}`);
    return server;
  };
  const primary = () => primaryNamedBy(sentinels);
  const waitForPrimaryChange = async (from: Address, timeoutMs = 20_000) => {
    let named: (Address | undefined)[] = [];
    return until(
      async () => {
        named = await namedBy(sentinels);
        return primaryOtherThan(named, from, password);
      },
      timeoutMs,
      () => `every sentinel to name a primary other than ${from.port} (${JSON.stringify(named)})`,
    );
  };
  const waitForReplica = async (node: Address, timeoutMs = 20_000) => {
    await waitForHealthy(sentinels, await primary(), node, password, timeoutMs);
  };
  return {
    masterName: MASTER_NAME,
    sentinels,
    nodes: started.map((server) => server.address),
    password,
    primary,
    waitForPrimaryChange,
    waitForReplica,
    async failoverByCommand() {
      const from = await primary();
      await commandFailover(sentinels);
      await waitForPrimaryChange(from, 20_000);
      await waitForReplica(from);
    },
    async killPrimary() {
      const current = await primary();
      await kill(serverAt(current.port));
      return current;
    },
    async restartNode(port) {
      const old = serverAt(port);
      if (isRunning(old)) throw new Error(`data node ${port} is still running; kill it first`);
      const again = spawnServer(old);
      scope.servers.push(again);
      servers.set(port, again);
      await waitUntilServing(again, `data node ${port} restarted`);
    },
    stop: () => scope.stop(),
  };
}

/** Everything goes in a config file, so that sentinel's CONFIG REWRITE persists role changes. */
async function dataNode(
  scope: Scope,
  port: number,
  password: string | undefined,
  replicaOf?: number,
) {
  const dir = await scope.subdir(`node-${port}`);
  const logFile = join(dir, 'redis.log');
  const lines = [
    `port ${port}`,
    `bind ${HOST}`,
    `dir ${quoted(dir)}`,
    `logfile ${quoted(logFile)}`,
    'appendonly yes',
    'appendfsync always',
    'save ""',
    'maxmemory-policy noeviction',
    // A replica's full sync starts at once instead of after 5 s spent waiting for more replicas.
    'repl-diskless-sync-delay 0',
    ...(password === undefined
      ? []
      : [`requirepass ${quoted(password)}`, `masterauth ${quoted(password)}`]),
    ...(replicaOf === undefined ? [] : [`replicaof ${HOST} ${replicaOf}`]),
  ];
  const config = join(dir, 'redis.conf');
  await writeFile(config, `${lines.join('\n')}\n`);
  return { address: { host: HOST, port }, args: [config], logFile, connect: { password } };
}

async function sentinelNode(
  scope: Scope,
  port: number,
  primaryPort: number,
  password: string | undefined,
) {
  const dir = await scope.subdir(`sentinel-${port}`);
  const logFile = join(dir, 'sentinel.log');
  const lines = [
    `port ${port}`,
    `bind ${HOST}`,
    `dir ${quoted(dir)}`,
    `logfile ${quoted(logFile)}`,
    `sentinel monitor ${MASTER_NAME} ${HOST} ${primaryPort} 2`,
    `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
    `sentinel failover-timeout ${MASTER_NAME} 5000`,
    `sentinel parallel-syncs ${MASTER_NAME} 1`,
    ...(password === undefined ? [] : [`sentinel auth-pass ${MASTER_NAME} ${quoted(password)}`]),
  ];
  // Sentinel rewrites this file as it learns the group, so it lives in the writable temp dir.
  const config = join(dir, 'sentinel.conf');
  await writeFile(config, `${lines.join('\n')}\n`);
  return {
    address: { host: HOST, port },
    args: [config, '--sentinel'],
    logFile,
    connect: {},
  };
}

/** A value in a Redis config file: double-quoted, so spaces and quotes survive. */
function quoted(value: string): string {
  if (/\p{Cc}/u.test(value)) {
    throw new Error('a value in a Redis config file here may not hold control characters');
  }
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

/**
 * Sentinel's own clocks, shortened; the failover logic is unchanged.
 * - ping-period 250 (from 1000): a promotion ends with CLIENT KILL TYPE normal, which drops the
 *   sentinels' own links to the new primary, and a sentinel reconnects at most once a ping
 *   period. With the 1 s down-after of these tests, that gap alone marked the new primary down
 *   and started a spurious second failover, which could promote a stale restarted node.
 * - info-period 1000 (from 10000) and publish-period 500 (from 2000): a returning old primary is
 *   noticed within a second and demoted after 4 hello periods (2 s, not 8), so that a test of the
 *   whole life of a group stays under a minute.
 */
async function quicken(sentinel: Address): Promise<void> {
  const periods = ['ping-period', 250, 'info-period', 1_000, 'publish-period', 500];
  await ask(sentinel, 'SENTINEL', ['DEBUG', ...periods]);
}

async function primaryNamedBy(sentinels: Address[]): Promise<Address> {
  const errors: string[] = [];
  for (const sentinel of sentinels) {
    try {
      const named = addressOf(
        await ask(sentinel, 'SENTINEL', ['GET-MASTER-ADDR-BY-NAME', MASTER_NAME]),
      );
      if (named) return named;
      errors.push(`${sentinel.port}: no primary named`);
    } catch (error) {
      errors.push(`${sentinel.port}: ${messageOf(error)}`);
    }
  }
  throw new Error(`no sentinel names the primary of ${MASTER_NAME} (${errors.join('; ')})`);
}

/** What each sentinel names as the primary (undefined where it does not answer). */
async function namedBy(sentinels: Address[]): Promise<(Address | undefined)[]> {
  return Promise.all(
    sentinels.map((sentinel) =>
      ask(sentinel, 'SENTINEL', ['GET-MASTER-ADDR-BY-NAME', MASTER_NAME]).then(
        addressOf,
        () => undefined,
      ),
    ),
  );
}

/** The primary every sentinel names, if they agree. */
function agreed(named: (Address | undefined)[]): Address | undefined {
  const [first] = named;
  return first && named.every((address) => address?.port === first.port) ? first : undefined;
}

/** The agreed primary, if it is not `from` and answers ROLE as a master. */
async function primaryOtherThan(
  named: (Address | undefined)[],
  from: Address,
  password: string | undefined,
): Promise<Address | undefined> {
  const primary = agreed(named);
  if (!primary || primary.port === from.port) return undefined;
  return (await roleOf(primary, password))[0] === 'master' ? primary : undefined;
}

async function roleOf(node: Address, password: string | undefined): Promise<unknown[]> {
  return list(await ask(node, 'ROLE', [], { password }).catch(ignore));
}

/** ROLE: slave, master host, master port, link state, offset. */
async function isConnectedReplicaOf(
  node: Address,
  primary: Address,
  password: string | undefined,
): Promise<boolean> {
  const [role, , port, state] = await roleOf(node, password);
  return role === 'slave' && Number(port) === primary.port && state === 'connected';
}

/** The sentinel lists the replica as healthy and linked, and sees the other sentinels. */
async function sentinelSees(sentinel: Address, replica: Address): Promise<boolean> {
  const [replicas, peers] = await Promise.all([
    ask(sentinel, 'SENTINEL', ['REPLICAS', MASTER_NAME]),
    ask(sentinel, 'SENTINEL', ['SENTINELS', MASTER_NAME]),
  ]).catch(() => [[], []]);
  const seen = list(replicas)
    .map(fieldsOf)
    .find((fields) => fields.get('port') === String(replica.port));
  const healthyPeers = list(peers)
    .map(fieldsOf)
    .filter((fields) => fields.get('flags') === 'sentinel');
  return (
    seen?.get('flags') === 'slave' &&
    seen.get('master-link-status') === 'ok' &&
    healthyPeers.length === SENTINELS - 1
  );
}

async function waitForHealthy(
  sentinels: Address[],
  primary: Address,
  replica: Address,
  password: string | undefined,
  timeoutMs: number,
): Promise<void> {
  let problem: string | undefined = 'nothing asked yet';
  await until(
    async () => {
      problem = await healthProblem(sentinels, primary, replica, password);
      return problem === undefined;
    },
    timeoutMs,
    () =>
      `${replica.port} to be a replica of ${primary.port} that every sentinel sees (${String(problem)})`,
  );
}

/** What keeps the group from being whole, or undefined once nothing does. */
async function healthProblem(
  sentinels: Address[],
  primary: Address,
  replica: Address,
  password: string | undefined,
): Promise<string | undefined> {
  const named = await namedBy(sentinels);
  if (agreed(named)?.port !== primary.port) {
    return `the sentinels do not all name ${primary.port}: ${JSON.stringify(named)}`;
  }
  if (!(await isConnectedReplicaOf(replica, primary, password))) {
    return `ROLE of ${replica.port} is ${JSON.stringify(await roleOf(replica, password))}`;
  }
  const seeing = await Promise.all(sentinels.map((sentinel) => sentinelSees(sentinel, replica)));
  if (!seeing.every(Boolean)) {
    return `which sentinels see the replica and the others: ${JSON.stringify(seeing)}`;
  }
  return undefined;
}

/** SENTINEL FAILOVER, again while the sentinel has no fresh enough INFO from the replica. */
async function commandFailover(sentinels: Address[]): Promise<void> {
  const [sentinel] = sentinels;
  if (!sentinel) throw new Error('a sentinel group without sentinels');
  await until(
    async () => {
      try {
        await ask(sentinel, 'SENTINEL', ['FAILOVER', MASTER_NAME]);
        return true;
      } catch (error) {
        if (messageOf(error).startsWith('NOGOODSLAVE')) return false;
        throw error;
      }
    },
    10_000,
    'a sentinel to accept SENTINEL FAILOVER (it found no replica to promote)',
  );
}

// ---------------------------------------------------------------------------------------------
// TLS

export interface TestCa {
  /** PEM file of the CA's certificate. */
  caFile: string;
  /** The same certificate, as `tls.ca` takes it. */
  ca: string;
  keyFile: string;
  remove(): Promise<void>;
}

export interface TlsRedis {
  /** `rediss://[:password@]127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** The test CA that signed the server's certificate. */
  caFile: string;
  /** The name in the certificate (a DNS SAN; 127.0.0.1 is an IP SAN too). */
  servername: 'redis.ecat.test';
  startupMs: number;
  stop(): Promise<void>;
}

const SERVERNAME = 'redis.ecat.test';

/** A CA of its own that signed nothing ecat's test server uses: what must be refused. */
export async function createUnrelatedCa(): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'ecat-other-ca-'));
  try {
    return await createCa(dir, 'ecat unrelated test CA');
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export interface TlsRedisOptions {
  /** requirepass; the url carries it. */
  password?: string;
}

export async function startTlsRedis(options: TlsRedisOptions = {}): Promise<TlsRedis> {
  const { password } = options;
  const scope = await Scope.create('tls-redis');
  return scope.build(async () => {
    const ca = await createCa(await scope.subdir('ca'), 'ecat test CA');
    const { certFile, keyFile } = await createServerCertificate(await scope.subdir('server'), ca);
    const server = await scope.start('the TLS redis-server', async (port) => {
      const dir = await scope.subdir(`node-${port}`);
      const logFile = join(dir, 'redis.log');
      const args = [
        ...['--port', '0', '--tls-port', String(port), '--bind', HOST],
        ...['--tls-cert-file', certFile, '--tls-key-file', keyFile],
        ...['--tls-ca-cert-file', ca.caFile, '--tls-auth-clients', 'no'],
        ...['--dir', dir, '--logfile', logFile],
        ...['--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
        ...(password === undefined ? [] : ['--requirepass', password]),
      ];
      const tls = { ca: ca.ca, servername: SERVERNAME };
      return { address: { host: HOST, port }, args, logFile, connect: { password, tls } };
    });
    const { port } = server.address;
    const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
    return {
      url: `rediss://${auth}${HOST}:${port}`,
      port,
      caFile: ca.caFile,
      servername: SERVERNAME,
      startupMs: scope.elapsedMs(),
      stop: () => scope.stop(),
    };
  });
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 30_000 });
  } catch (error) {
    const { stderr = '' } = error as { stderr?: string };
    throw new Error(`openssl ${args[0] ?? ''} failed: ${messageOf(error)}\n${stderr}`);
  }
}

// P-256 keys: as good as RSA for a test and generated in milliseconds.
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function createCa(dir: string, name: string): Promise<TestCa> {
  const caFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'ca.key');
  await openssl(
    [
      ...['req', '-x509', ...EC_KEY, '-keyout', keyFile, '-out', caFile, '-days', '2'],
      ...['-subj', `/CN=${name} ${randomBytes(4).toString('hex')}`],
      ...['-addext', 'basicConstraints=critical,CA:TRUE'],
      ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ],
    dir,
  );
  const ca = await readFile(caFile, 'utf8');
  return { caFile, ca, keyFile, remove: () => rm(dir, { recursive: true, force: true }) };
}

async function createServerCertificate(dir: string, ca: TestCa) {
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  const request = join(dir, 'server.csr');
  const extensions = join(dir, 'server.ext');
  await writeFile(
    extensions,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=DNS:${SERVERNAME},IP:${HOST}`,
    ].join('\n'),
  );
  await openssl(
    ['req', ...EC_KEY, '-keyout', keyFile, '-out', request, '-subj', `/CN=${SERVERNAME}`],
    dir,
  );
  await openssl(
    [
      ...['x509', '-req', '-in', request, '-CA', ca.caFile, '-CAkey', ca.keyFile],
      ...['-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2'],
      ...['-out', certFile, '-extfile', extensions],
    ],
    dir,
  );
  return { certFile, keyFile };
}

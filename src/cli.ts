// The llm-extproc command: serve | up | envoy-config | check, with help and version.
// What a person reads here is plain text on stdout/stderr: problems one per line with
// their config path, a port in use as one line naming it; never a stack trace for a
// mistake the user can fix.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { missingSecret } from './auth/secrets.js';
import { ConfigProblems, type RuntimeConfig } from './config/compile.js';
import { MAX_WORKERS } from './config/schema.js';
import { configFromEnv } from './config/from-env.js';
import { parseConfigObject, readConfigFile } from './config/load.js';
import { ratelimitConfigYaml } from './envoy/ratelimit.js';
import { generateBootstrap } from './envoy/bootstrap.js';
import { dynamicResources, writeDynamicFiles } from './envoy/dynamic.js';
import { assertPortsFree, PortInUse } from './ports.js';
import { startProcessor } from './server/index.js';
import { startWorkers, WorkersStartError } from './server/workers.js';
import { logger, logsToStderr } from './logger.js';
import { runUp } from './up.js';

const COMMANDS: Record<string, { summary: string; usage: string; flags: string[] }> = {
  serve: {
    summary: 'run the ext_proc processor',
    usage: 'serve --config FILE [--host ADDR] [--grpc-port N] [--admin-port N] [--workers N] [--dynamic-dir DIR [--envoy-admin-url URL]]',
    flags: ['config', 'host', 'grpc-port', 'admin-port', 'workers', 'dynamic-dir', 'envoy-admin-url'],
  },
  up: {
    summary: 'run the processor and a local Envoy in the foreground (Ctrl-C stops both)',
    usage: 'up [--config FILE] [--host ADDR] [--port N] [--envoy-admin-port N] [--grpc-port N] [--admin-port N] [--access-log PATH]',
    flags: ['config', 'host', 'port', 'envoy-admin-port', 'grpc-port', 'admin-port', 'access-log'],
  },
  'envoy-config': {
    summary: 'print the Envoy bootstrap YAML for a standalone Envoy',
    usage: 'envoy-config --config FILE [--host ADDR] [--port N] [--processor-address HOST:PORT] [--access-log PATH] [--envoy-admin-address ADDR] [--dynamic-dir DIR [--write-dynamic]]',
    flags: ['config', 'host', 'port', 'envoy-admin-port', 'grpc-port', 'processor-address', 'access-log', 'envoy-admin-address', 'dynamic-dir', 'write-dynamic'],
  },
  'ratelimit-config': {
    summary: 'print the rate limit service descriptor file for the config\'s rateLimits (for a ConfigMap)',
    usage: 'ratelimit-config --config FILE',
    flags: ['config'],
  },
  check: {
    summary: 'validate a config file: every problem with its path, and credentials missing here',
    usage: 'check --config FILE',
    flags: ['config'],
  },
};

const FLAG_HELP: Record<string, string> = {
  config: '--config FILE                config file (YAML or JSON); default $LLM_EXTPROC_CONFIG',
  host: '--host ADDR                  where the gateway listens (default 127.0.0.1, config listen.host;\n                               0.0.0.0 opens it to the network)',
  port: '--port N                     Envoy listener port (default 8080; 0 = pick a free one)',
  'envoy-admin-port': '--envoy-admin-port N         Envoy admin port (default 9901)',
  'grpc-port': '--grpc-port N                processor gRPC port (default 50051)',
  'admin-port': '--admin-port N               processor admin HTTP port (default 9464)',
  workers: '--workers N                  processor processes behind the one gRPC port or socket\n                               (default 1, config processor.workers)',
  'processor-address': '--processor-address H:P      where Envoy finds the processor (default 127.0.0.1:<grpc port>)',
  'access-log': '--access-log PATH            Envoy access log (default /dev/stdout)',
  'envoy-admin-address': '--envoy-admin-address ADDR   Envoy admin bind address (default 127.0.0.1)',
  'dynamic-dir': '--dynamic-dir DIR            live config: Envoy reads backend/pool clusters and routes from\n                               DIR/cds.yaml and DIR/rds.yaml, which serve rewrites on every\n                               valid reload (envoy-config: the bootstrap points there)',
  'envoy-admin-url': '--envoy-admin-url URL        Envoy admin (http://127.0.0.1:9901): added clusters are awaited\n                               there before routes name them (default: a 1 s pause)',
  'write-dynamic': '--write-dynamic              also write the first DIR/cds.yaml and DIR/rds.yaml',
};

function usage(): string {
  const lines = ['usage: llm-extproc <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(14)} ${c.summary}`);
  lines.push('', 'options:');
  for (const h of Object.values(FLAG_HELP)) lines.push(`  ${h}`);
  lines.push('', "llm-extproc help <command> (or <command> --help) shows one command's options; --version prints the version.", '');
  return lines.join('\n');
}

function commandUsage(name: string): string {
  const c = COMMANDS[name]!;
  return [`usage: llm-extproc ${c.usage}`, '', c.summary, '', 'options:', ...c.flags.map((f) => `  ${FLAG_HELP[f]}`), ''].join('\n');
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const OPTIONS = {
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'envoy-admin-port': { type: 'string' },
  'grpc-port': { type: 'string' },
  'admin-port': { type: 'string' },
  workers: { type: 'string' },
  'processor-address': { type: 'string' },
  'access-log': { type: 'string' },
  'envoy-admin-address': { type: 'string' },
  'dynamic-dir': { type: 'string' },
  'envoy-admin-url': { type: 'string' },
  'write-dynamic': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

type Flags = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

function port(flag: string | undefined, name: string): number | undefined {
  if (flag === undefined) return undefined;
  const n = Number(flag);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigProblems([`--${name}: not a port: ${flag}`]);
  return n;
}

/** Loads the config and applies the host and port flags over the file's. */
function loadConfig(flags: Flags, required: boolean): { cfg: RuntimeConfig; path?: string; text?: string } {
  const path = flags.config ?? process.env.LLM_EXTPROC_CONFIG;
  if (!path && required) throw new ConfigProblems(['--config FILE is required (or set LLM_EXTPROC_CONFIG)']);
  const loaded = path ? readConfigFile(path) : { cfg: parseConfigObject(configFromEnv()), text: undefined };
  const cfg = loaded.cfg;
  const ports = { ...cfg.ports };
  ports.envoy = port(flags.port, 'port') ?? ports.envoy;
  ports.envoyAdmin = port(flags['envoy-admin-port'], 'envoy-admin-port') ?? ports.envoyAdmin;
  ports.grpc = port(flags['grpc-port'], 'grpc-port') ?? ports.grpc;
  ports.admin = port(flags['admin-port'], 'admin-port') ?? ports.admin;
  return { cfg: { ...cfg, ports, listenHost: flags.host ?? cfg.listenHost }, path, text: loaded.text };
}

function processorAddress(flag: string | undefined, cfg: RuntimeConfig) {
  if (flag?.startsWith('unix:')) return { unixPath: flag.slice(5) };
  if (flag) {
    const i = flag.lastIndexOf(':');
    return { host: flag.slice(0, i), port: Number(flag.slice(i + 1)) };
  }
  if (typeof cfg.ports.grpc === 'string') return { unixPath: cfg.ports.grpc.slice(5) };
  return { host: '127.0.0.1', port: cfg.ports.grpc };
}

/** The processor's own ports (and, for `up`, Envoy's), checked before anything starts. */
async function checkPorts(cfg: RuntimeConfig, withEnvoy: boolean): Promise<void> {
  const host = cfg.listenHost;
  const wanted = [{ port: cfg.ports.admin, host, what: 'processor admin' }];
  if (typeof cfg.ports.grpc === 'number') wanted.push({ port: cfg.ports.grpc, host, what: 'processor gRPC' });
  if (withEnvoy) wanted.push({ port: cfg.ports.envoy, host, what: 'Envoy listener' }, { port: cfg.ports.envoyAdmin, host: '127.0.0.1', what: 'Envoy admin' });
  await assertPortsFree(wanted);
}

/** `--workers` over the file's `processor.workers`, kept in the config so /config shows it. */
function withWorkers(cfg: RuntimeConfig, flag: string | undefined): RuntimeConfig {
  if (flag === undefined) return cfg;
  const n = Number(flag);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) throw new ConfigProblems([`--workers: not a number of workers (1-${MAX_WORKERS}): ${flag}`]);
  return { ...cfg, file: { ...cfg.file, processor: { ...cfg.file.processor, workers: n } } };
}

async function serve(flags: Flags): Promise<void> {
  const loaded = loadConfig(flags, true);
  const cfg = withWorkers(loaded.cfg, flags.workers);
  await checkPorts(cfg, false);
  const grace = Number(process.env.SHUTDOWN_GRACE_MS ?? 20_000);
  const workers = cfg.file.processor.workers;
  if (flags['envoy-admin-url'] && !flags['dynamic-dir']) throw new ConfigProblems(['--envoy-admin-url needs --dynamic-dir DIR']);
  const envoyDynamic = flags['dynamic-dir'] ? { dir: flags['dynamic-dir'], adminUrl: flags['envoy-admin-url']?.replace(/\/+$/, '') } : undefined;
  let stopProcessor: () => Promise<boolean>;
  if (workers > 1) {
    const running = await startWorkers({ config: cfg, configPath: loaded.path, configText: loaded.text, workers, host: cfg.listenHost, grpcListen: cfg.ports.grpc, adminPort: cfg.ports.admin, graceMs: grace, envoyDynamic });
    stopProcessor = () => running.stop();
  } else {
    // One worker: this process is the processor, no cluster at all.
    const proc = await startProcessor({ config: cfg, configPath: loaded.path, configText: loaded.text, host: cfg.listenHost, envoyDynamic });
    stopProcessor = () => proc.stop(grace).then(() => true);
  }
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down: no new streams, letting open ones finish');
    void stopProcessor().then((clean) => process.exit(clean ? 0 : 1));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** Problems are errors (exit 1); credentials this machine lacks are warnings, in plain words. */
function check(flags: Flags): number {
  // Plain text only: loading must not mix JSON log lines into what `check` prints.
  logger.level = 'silent';
  const { cfg, path } = loadConfig(flags, true);
  const warnings: string[] = [];
  for (const b of cfg.backends.values()) {
    const auth = b.config.authToken;
    if (auth?.kind === 'SecretRef') {
      const why = missingSecret(auth.secretRef);
      if (why) warnings.push(`backends.${b.name}.authToken: ${why}; its requests will fail (503 credential_unavailable) until it is`);
    }
    for (const w of b.provider.credentialWarnings?.(b.options) ?? []) warnings.push(`backends.${b.name}.${w}`);
  }
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(`${path}: ok (${cfg.backends.size} backends${warnings.length ? `, ${warnings.length} warning${warnings.length > 1 ? 's' : ''}` : ''})\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === '--version' || first === '-v' || first === 'version') {
    process.stdout.write(`llm-extproc ${version()}\n`);
    return 0;
  }
  if (first === undefined) {
    process.stderr.write(usage());
    return 2;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const about = argv[1];
    if (about && !COMMANDS[about]) {
      process.stderr.write(`unknown command: ${about}\n\n${usage()}`);
      return 2;
    }
    process.stdout.write(about ? commandUsage(about) : usage());
    return 0;
  }
  const command = first;
  if (!COMMANDS[command]) {
    process.stderr.write(`unknown command: ${command}\n\n${usage()}`);
    return 2;
  }
  let flags: Flags;
  try {
    flags = parseArgs({ args: argv.slice(1), options: OPTIONS, strict: true }).values as Flags;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${commandUsage(command)}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(commandUsage(command));
    return 0;
  }
  if (command === 'envoy-config' || command === 'ratelimit-config') logsToStderr();
  try {
    switch (command) {
      case 'serve':
        await serve(flags);
        return -1; // keeps running
      case 'up': {
        const loaded = loadConfig(flags, false);
        await checkPorts(loaded.cfg, true);
        await runUp(loaded, { accessLogPath: flags['access-log'] });
        return -1;
      }
      case 'envoy-config': {
        const { cfg } = loadConfig(flags, true);
        const dynamicDir = flags['dynamic-dir'];
        if (flags['write-dynamic'] && !dynamicDir) throw new ConfigProblems(['--write-dynamic needs --dynamic-dir DIR']);
        const bootstrap = generateBootstrap(cfg, {
          processor: processorAddress(flags['processor-address'], cfg),
          accessLogPath: flags['access-log'],
          adminAddress: flags['envoy-admin-address'],
          listenAddress: cfg.listenHost,
          dynamicDir,
        });
        // Envoy needs both files at start; `serve --dynamic-dir` also writes them before serving.
        if (flags['write-dynamic']) writeDynamicFiles(dynamicDir!, dynamicResources(cfg));
        process.stdout.write(bootstrap);
        return 0;
      }
      case 'ratelimit-config': {
        const { cfg } = loadConfig(flags, true);
        const limits = cfg.file.rateLimits;
        if (!limits?.rules.length) {
          process.stderr.write('the config has no rateLimits.rules\n');
          return 1;
        }
        process.stdout.write(ratelimitConfigYaml(limits));
        return 0;
      }
      default:
        return check(flags);
    }
  } catch (err) {
    if (err instanceof ConfigProblems) {
      for (const p of err.problems) process.stderr.write(`${p}\n`);
      return 1;
    }
    if (err instanceof PortInUse || err instanceof WorkersStartError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

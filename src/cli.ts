// The llm-extproc command: serve | up | envoy-config | check.
import { parseArgs } from 'node:util';
import { ConfigProblems, type RuntimeConfig } from './config/compile.js';
import { configFromEnv } from './config/from-env.js';
import { loadConfigFile, parseConfigObject } from './config/load.js';
import { generateBootstrap } from './envoy/bootstrap.js';
import { runUp } from './up.js';
import { startProcessor } from './server/index.js';
import { logger } from './telemetry/logger.js';

const USAGE = `usage: llm-extproc <command> [options]

commands:
  serve --config FILE          run the ext_proc processor
  up [--config FILE]           run the processor and a local Envoy (Ctrl-C stops both)
  envoy-config --config FILE   print the Envoy bootstrap YAML for standalone use
  check --config FILE          validate a config file

options:
  --config FILE                config file (YAML or JSON); default $LLM_EXTPROC_CONFIG
  --port N                     Envoy listener port (default 8080; 0 = pick a free one)
  --envoy-admin-port N         Envoy admin port (default 9901)
  --grpc-port N                processor gRPC port (default 50051)
  --admin-port N               processor admin HTTP port (default 9464)
  --processor-address H:P      envoy-config: where Envoy finds the processor (default 127.0.0.1:<grpc port>)
  --access-log PATH            envoy-config/up: Envoy access log (default /dev/stdout)
  --envoy-admin-address ADDR   envoy-config: Envoy admin bind address (default 127.0.0.1)
`;

const OPTIONS = {
  config: { type: 'string' },
  port: { type: 'string' },
  'envoy-admin-port': { type: 'string' },
  'grpc-port': { type: 'string' },
  'admin-port': { type: 'string' },
  'processor-address': { type: 'string' },
  'access-log': { type: 'string' },
  'envoy-admin-address': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

function port(flag: string | undefined, name: string): number | undefined {
  if (flag === undefined) return undefined;
  const n = Number(flag);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigProblems([`--${name}: not a port: ${flag}`]);
  return n;
}

/** Loads the config and applies port flags over the file's `ports`. */
function loadConfig(flags: Flags, required: boolean): { cfg: RuntimeConfig; path?: string } {
  const path = flags.config ?? process.env.LLM_EXTPROC_CONFIG;
  if (!path && required) throw new ConfigProblems(['--config FILE is required (or set LLM_EXTPROC_CONFIG)']);
  const cfg = path ? loadConfigFile(path) : parseConfigObject(configFromEnv());
  const ports = { ...cfg.ports };
  ports.envoy = port(flags.port, 'port') ?? ports.envoy;
  ports.envoyAdmin = port(flags['envoy-admin-port'], 'envoy-admin-port') ?? ports.envoyAdmin;
  ports.grpc = port(flags['grpc-port'], 'grpc-port') ?? ports.grpc;
  ports.admin = port(flags['admin-port'], 'admin-port') ?? ports.admin;
  return { cfg: { ...cfg, ports }, path };
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

async function serve(flags: Flags): Promise<void> {
  const { cfg, path } = loadConfig(flags, true);
  const proc = await startProcessor({ config: cfg, configPath: path });
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down: no new streams, letting open ones finish');
    const grace = Number(process.env.SHUTDOWN_GRACE_MS ?? 20_000);
    void proc.stop(grace).then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  let flags: Flags;
  try {
    flags = parseArgs({ args: rest, options: OPTIONS, strict: true }).values as Flags;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!command || flags.help || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  try {
    switch (command) {
      case 'serve':
        await serve(flags);
        return -1; // keeps running
      case 'up':
        await runUp(loadConfig(flags, false), { accessLogPath: flags['access-log'] });
        return -1;
      case 'envoy-config': {
        const { cfg } = loadConfig(flags, true);
        process.stdout.write(
          generateBootstrap(cfg, {
            processor: processorAddress(flags['processor-address'], cfg),
            accessLogPath: flags['access-log'],
            adminAddress: flags['envoy-admin-address'],
          }),
        );
        return 0;
      }
      case 'check': {
        const { cfg, path } = loadConfig(flags, true);
        for (const b of cfg.backends.values()) {
          if (b.keyAuth.kind === 'key' && !b.keyAuth.secret.value()) {
            process.stderr.write(`warning: backends.${b.name}.authToken: ${b.keyAuth.secret.describe} is empty here\n`);
          }
        }
        process.stdout.write(`${path}: ok (${cfg.backends.size} backends)\n`);
        return 0;
      }
      default:
        process.stderr.write(`unknown command: ${command}\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigProblems) {
      for (const p of err.problems) process.stderr.write(`${p}\n`);
      return 1;
    }
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

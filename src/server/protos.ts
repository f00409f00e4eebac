// Loads the ext_proc and health protos from proto/ (shipped with the package).
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_DIR = fileURLToPath(new URL('../../proto', import.meta.url));

export interface LoadedProtos {
  externalProcessor: grpc.ServiceDefinition;
  health: grpc.ServiceDefinition;
  /** Client constructors, for tests and tools that speak to the processor. */
  ExternalProcessorClient: grpc.ServiceClientConstructor;
  HealthClient: grpc.ServiceClientConstructor;
}

let cached: LoadedProtos | undefined;

export function loadProtos(): LoadedProtos {
  if (cached) return cached;
  const def = protoLoader.loadSync(['envoy/service/ext_proc/v3/external_processor.proto', 'grpc/health/v1/health.proto'], {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    oneofs: true,
    longs: Number,
    enums: String,
    defaults: false,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    envoy: { service: { ext_proc: { v3: { ExternalProcessor: grpc.ServiceClientConstructor } } } };
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  const ExternalProcessorClient = pkg.envoy.service.ext_proc.v3.ExternalProcessor;
  const HealthClient = pkg.grpc.health.v1.Health;
  cached = { externalProcessor: ExternalProcessorClient.service, health: HealthClient.service, ExternalProcessorClient, HealthClient };
  return cached;
}

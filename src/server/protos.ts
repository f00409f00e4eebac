// Loads the ext_proc and health protos from proto/ (shipped with the package).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { appendStructField } from '../extproc/struct-wire.js';
import type { ProcessingResponse } from '../extproc/types.js';

/** ProcessingResponse.dynamic_metadata's field number. */
const DYNAMIC_METADATA_FIELD = 8;

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
  directCodec(ExternalProcessorClient.service.Process as grpc.MethodDefinition<unknown, unknown>);
  const HealthClient = pkg.grpc.health.v1.Health;
  cached = { externalProcessor: ExternalProcessorClient.service, health: HealthClient.service, ExternalProcessorClient, HealthClient };
  return cached;
}

/**
 * The server's side of Process reads and writes protobufjs messages directly. proto-loader
 * converts every message to a plain object and back (toObject / fromObject), a deep copy per
 * message that cost a sixth of the processor's CPU. Decoded messages read the same: fields
 * under their proto names, bytes as Buffers, a oneof's name from its getter, unset fields
 * null or the proto default; replies are plain objects with enums as numbers (extproc/types).
 * Clients (tests, tools) keep proto-loader's objects.
 */
function directCodec(method: grpc.MethodDefinition<unknown, unknown>): void {
  const root = new protobuf.Root();
  // google/protobuf/* are protobufjs's bundled well-known types, as proto-loader's are.
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(PROTO_DIR, target));
  root.loadSync('envoy/service/ext_proc/v3/external_processor.proto', { keepCase: true });
  root.resolveAll();
  emptyBytesAsBuffers(root);
  const request = root.lookupType('envoy.service.ext_proc.v3.ProcessingRequest');
  const response = root.lookupType('envoy.service.ext_proc.v3.ProcessingResponse');
  method.requestDeserialize = (buf: Buffer) => request.decode(buf);
  method.responseSerialize = (msg: unknown) => {
    const reply = msg as ProcessingResponse;
    const metadata = reply.dynamic_metadata;
    if (metadata === undefined) return asBuffer(response.encode(reply as protobuf.Message).finish());
    // The metadata Struct is written by hand (extproc/struct-wire), after the rest of the reply.
    // Left out of protobufjs's pass for the moment (a copy of the reply would cost more).
    reply.dynamic_metadata = undefined;
    try {
      return appendStructField(response.encode(reply as protobuf.Message).finish(), DYNAMIC_METADATA_FIELD, metadata);
    } finally {
      reply.dynamic_metadata = metadata;
    }
  };
}

/** Node's protobufjs writer already makes Buffers: no copy. */
function asBuffer(out: Uint8Array): Buffer {
  return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** An unset bytes field reads as protobufjs's default, an empty array: make it an empty Buffer, as a set one is. */
function emptyBytesAsBuffers(ns: protobuf.NamespaceBase): void {
  const empty = Buffer.alloc(0);
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) {
      for (const f of nested.fieldsArray) if (f.type === 'bytes' && !f.repeated && !f.partOf) (nested.ctor.prototype as Record<string, unknown>)[f.name] = empty;
    }
    if (nested instanceof protobuf.Namespace) emptyBytesAsBuffers(nested);
  }
}

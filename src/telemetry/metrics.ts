// Prometheus metrics on the admin port. This set: requests, active streams,
// and ext_proc messages by phase (which also proves passthrough routes skip bodies).
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const requestsTotal = new Counter({
  name: 'llm_extproc_requests_total',
  help: 'Requests handled by the processor, by backend, route type and HTTP status.',
  labelNames: ['backend', 'route_type', 'status'] as const,
  registers: [registry],
});

export const streamsActive = new Gauge({
  name: 'llm_extproc_streams_active',
  help: 'ext_proc gRPC streams currently open.',
  registers: [registry],
});

export const messagesTotal = new Counter({
  name: 'llm_extproc_processing_messages_total',
  help: 'ext_proc messages received from Envoy, by phase.',
  labelNames: ['phase'] as const,
  registers: [registry],
});

export const gatewayErrorsTotal = new Counter({
  name: 'llm_extproc_gateway_errors_total',
  help: 'Errors the gateway answered itself, by code.',
  labelNames: ['code'] as const,
  registers: [registry],
});

// One request's accounting. The llm_extproc metadata goes to Envoy as soon as each value is
// known: backend, provider and models when the request is routed, ttft with the first body
// chunk, the final counts as soon as the response's last event has been seen. A client that
// stops reading there (the Python SDK closes at `data: [DONE]`) may hang up before the
// upstream's end of stream, and Envoy takes no metadata once it has dropped the stream.
// When the request is done, however it ends, telemetry gets one record (usage log,
// metrics, span), which does not depend on Envoy accepting anything.
import { requestMessages } from '../dialects/index.js';
import type { DialectName, Operation } from '../dialects/types.js';
import { ATTEMPT_COUNT_HEADER, COST_MICROUSD_KEY, ERROR_CODE_HEADER, type LedgerKey, METADATA_NAMESPACE, type MetadataKey, POOL_REQUEST_KEY } from '../envoy/metadata-keys.js';
import { costUsd, microUsd, type PriceRule, priceFor } from '../usage/cost.js';
import type { Translator } from '../providers/types.js';
import type { Struct } from '../extproc/types.js';
import type { Logger } from '../logger.js';
import { MetadataLedger } from '../extproc/struct.js';
import type { RequestRecord, StreamEnd } from '../telemetry/record.js';
import { limitsView } from '../ratelimit/remaining.js';
import { logUsage, recordMetrics } from '../telemetry/report.js';
import { RequestSpan } from '../telemetry/tracing.js';
import { completeUsage, uncounted, withEstimates } from '../usage/estimate.js';
import { countTokensOffThread } from '../usage/tokenizer-thread.js';
import { usageMetadata } from '../usage/metadata.js';
import type { Usage } from '../usage/types.js';
import type { GatewayError } from '../errors.js';

/**
 * gen_ai.operation.name for the operations that generate (or embed) and are billed by the token.
 * The Responses API is a chat operation in OpenTelemetry's terms (its well-known values have no
 * other); the usage log's path tells it from Chat Completions.
 */
const GENAI_OPERATION: Partial<Record<Operation, string>> = {
  chat: 'chat',
  completions: 'text_completion',
  embeddings: 'embeddings',
  responses: 'chat',
  responses_compact: 'chat',
};

export interface Routed {
  backend: string;
  provider: string;
  providerTelemetryName: string;
  routeType: string;
}

export interface Translated {
  translator: Translator;
  operation: Operation;
  requestModel: string | undefined;
  /** The client's parsed body, for estimating input tokens when the provider reports none. */
  body: unknown;
  stream: boolean;
}

export class RequestAccount {
  private readonly ledger = new MetadataLedger<LedgerKey>(METADATA_NAMESPACE);
  private readonly startedAt = performance.now();
  private readonly span: RequestSpan;
  private readonly record: RequestRecord = { clientDialect: 'openai', routeType: 'completions', stream: false, status: 0, finishReasons: [], durationMs: 0 };
  private work: Translated | undefined;
  private firstByteAt: number | undefined;
  private eventStream = false;
  /** The final counts went to Envoy (the last event arrived, or the body ended). */
  private settled = false;
  private done = false;

  constructor(
    private readonly log: () => Logger,
    requestHeaders: ReadonlyMap<string, string>,
    grpcMetadata: ReadonlyMap<string, string>,
    clientPath: string,
  ) {
    this.record.requestId = requestHeaders.get('x-request-id');
    this.record.clientPath = clientPath;
    this.ledger.set('client_path', clientPath);
    this.span = RequestSpan.start([grpcMetadata, requestHeaders]);
  }

  /** The price table that turns this request's usage into cost_usd. */
  pricing: readonly PriceRule[] = [];

  /** The gateway-key principal: the access log and usage are attributed to it. */
  client(name: string): void {
    this.record.client = name;
    this.ledger.set('client', name);
  }

  dialect(d: DialectName): void {
    this.record.clientDialect = d;
    this.ledger.set('client_dialect', d);
  }

  routed(r: Routed): void {
    Object.assign(this.record, { backend: r.backend, provider: r.provider, providerTelemetryName: r.providerTelemetryName, routeType: r.routeType });
    this.ledger.set('backend', r.backend);
    this.ledger.set('provider', r.provider);
    this.ledger.set('route_type', r.routeType);
  }

  translated(t: Translated): void {
    this.work = t;
    this.record.operation = GENAI_OPERATION[t.operation];
    this.record.requestModel = t.requestModel;
    this.record.stream = t.stream;
    this.ledger.set('request_model', t.requestModel);
  }

  /** What changed since the last reply, for the reply about to go to Envoy. */
  take(): Struct | undefined {
    return this.ledger.take();
  }

  /** The pool request for the upstream filter's attempts (it rides in the same namespace). */
  poolRequest(encoded: string): void {
    this.ledger.set(POOL_REQUEST_KEY, encoded);
  }

  /** A pool member answered: its provider is the one that counts, and it is named as answered_by. */
  answeredBy(member: Omit<Routed, 'routeType'>, fallback: boolean): void {
    Object.assign(this.record, { provider: member.provider, providerTelemetryName: member.providerTelemetryName, answeredBy: member.backend, fallback });
    this.ledger.set('provider', member.provider);
    this.ledger.set('answered_by', member.backend);
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>, eventStream: boolean): void {
    this.record.status = status;
    this.eventStream = eventStream;
    const attempts = Number(headers.get(ATTEMPT_COUNT_HEADER));
    if (Number.isInteger(attempts) && attempts > 0) {
      this.record.attempts = attempts;
      this.ledger.set('attempts', attempts);
      // Retries of a single backend: it answered itself (a pool names its member in answeredBy).
      if (attempts > 1 && this.record.answeredBy === undefined) {
        this.record.answeredBy = this.record.backend;
        this.ledger.set('answered_by', this.record.backend);
      }
    }
    if (status >= 400) this.record.errorType = headers.get(ERROR_CODE_HEADER) ?? String(status);
  }

  /** After the translator has seen a body chunk. */
  responseChunk(end: boolean): void {
    const ok = this.record.status >= 200 && this.record.status < 300;
    if (ok && this.firstByteAt === undefined) {
      this.firstByteAt = performance.now();
      this.record.ttftMs = this.firstByteAt - this.startedAt;
      this.ledger.set('ttft_ms', Math.round(this.record.ttftMs));
    }
    if (!this.settled && this.work?.translator.progress().complete) this.settle('complete');
    if (end) this.ended();
  }

  /** The response ended with Envoy's end of stream (body, or headers without a body). */
  ended(): void {
    if (!this.settled) {
      const cut = this.eventStream && this.record.status >= 200 && this.record.status < 300 && this.work?.translator.progress().complete === false;
      this.settle(cut ? 'upstream_cut' : 'complete');
    }
    this.finish();
  }

  /** A passthrough response, or one the gateway answered itself: nothing to read in its body. */
  answered(status: number): void {
    this.record.status = status;
    this.settle('complete');
    this.finish();
  }

  /** The gateway answered with an error of its own. */
  failed(e: GatewayError): void {
    // Mid-stream (an answer the gateway cannot translate on): what was delivered counts, as for a cut stream.
    const midStream = this.record.status >= 200 && this.record.status < 300;
    if (!this.settled) this.settle(midStream ? 'upstream_cut' : 'complete');
    this.record.status = e.status;
    this.record.errorType = e.code;
    this.finish();
  }

  /**
   * Envoy ended the ext_proc stream before the response did: the client hung up (or the
   * upstream connection broke; Envoy's response_flags tell which). Counted from what was
   * delivered; Envoy takes no more metadata, so this reaches only the processor's own records.
   */
  abandoned(): void {
    if (this.done) return;
    if (this.settled) return this.finish();
    this.record.errorType = 'client_cancelled';
    // Nobody waits on these counts: they are made off the event loop, then recorded.
    const later = this.settle('client_cancelled', true);
    if (!later) return this.finish();
    void later.then((usage) => this.applyUsage(usage)).finally(() => this.finish());
  }

  /** Final counts and models; with `offThread`, estimates still to make come back as a promise. */
  private settle(end: StreamEnd, offThread = false): Promise<Usage | undefined> | undefined {
    this.settled = true;
    this.record.streamEnd = end;
    if (end !== 'complete' && this.record.errorType === undefined) this.record.errorType = end;
    const t = this.work?.translator;
    let later: Promise<Usage | undefined> | undefined;
    if (t) {
      const progress = t.progress();
      // A provider that answered without naming its model answered with the one asked for; no answer, no model.
      const answered = this.record.status >= 200 && this.record.status < 300;
      this.record.responseModel = t.responseModel() ?? (answered ? this.record.requestModel : undefined);
      this.record.finishReasons = progress.finishReasons;
      this.ledger.set('response_model', this.record.responseModel);
      const usage = this.usage(t, end, offThread);
      if (usage instanceof Promise) later = usage;
      else this.applyUsage(usage);
    }
    if (this.work) this.ledger.set('stream_end', end);
    return later;
  }

  private applyUsage(usage: Usage | undefined): void {
    this.record.usage = usage;
    if (!usage) return;
    for (const [k, v] of Object.entries(usageMetadata(usage))) this.ledger.set(k as MetadataKey, v);
    const price = priceFor(this.pricing, this.record.responseModel, this.record.requestModel);
    if (price) {
      const cost = costUsd(usage, price);
      this.record.costUsd = cost;
      this.ledger.set('cost_usd', cost);
      this.ledger.set(COST_MICROUSD_KEY, microUsd(cost));
    }
  }

  /**
   * The provider's counts, completed with tokenizer estimates where it reported none: for
   * successful answers, and for requests the client left (the provider read the prompt and
   * generated what was delivered). Errors and token counting calls are not billed as usage.
   */
  private usage(t: Translator, end: StreamEnd, offThread: boolean): Usage | undefined | Promise<Usage | undefined> {
    const reported = t.usage();
    const any = Object.keys(reported).length > 0 ? reported : undefined;
    const status = this.record.status;
    const billable = this.record.operation !== undefined && ((status >= 200 && status < 300) || (status === 0 && end === 'client_cancelled'));
    if (!billable) return any;
    try {
      // The text is gathered only when it is counted: a same-dialect stream re-reads its events for it.
      const output = reported.outputTokens === undefined ? t.progress().outputText() : undefined;
      const gaps = offThread ? uncounted(reported, this.work?.body, output) : undefined;
      if (!gaps) return completeUsage(reported, this.work?.body, output, this.record.requestModel);
      const texts = [gaps.input ?? '', gaps.output ?? ''];
      return countTokensOffThread(texts, this.record.requestModel).then(
        ([input, out]) => withEstimates(reported, { input: gaps.input === undefined ? undefined : input, output: gaps.output === undefined ? undefined : out }),
        (err: unknown) => {
          this.log().warn({ err }, 'token estimation failed');
          return any;
        },
      );
    } catch (err) {
      this.log().warn({ err }, 'token estimation failed');
      return any;
    }
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    const r = this.record;
    r.durationMs = performance.now() - this.startedAt;
    try {
      logUsage(r);
      recordMetrics(r);
      limitsView.note({ client: r.client, backend: r.backend, model: r.requestModel });
      this.span.end(r, this.span.captureContent ? this.content() : undefined);
    } catch (err) {
      this.log().error({ err }, 'recording a finished request failed');
    }
  }

  /** Prompt and answer for a span, only when telemetry.captureContent asks for them. */
  private content(): { input?: string; output?: string } {
    const body = this.work?.body as Record<string, unknown> | undefined;
    const input = body ? requestMessages(this.record.clientDialect, body) : undefined;
    const output = this.work?.translator.progress().outputText();
    return {
      input: input === undefined ? undefined : JSON.stringify(input),
      output: output === undefined ? undefined : JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: output }] }]),
    };
  }
}

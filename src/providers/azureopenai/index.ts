// Azure OpenAI: OpenAI's API behind per-deployment paths, for OpenAI, Anthropic and
// Gemini clients alike (translated as for OpenAI itself; token counts estimated by the gateway), `api-key` header auth or a
// Microsoft Entra ID bearer token (authToken: { kind: AzureAD }).
// One backend can serve many deployments: `deployment` may be a template
// (seed 002: "$(uri_captures.deployment)"), rendered per request.
import { z } from 'zod';
import { azureDefaultCredential } from '../../auth/azure-entra.js';
import { EstimatedResponsesTokenCount } from '../shared/estimated-count.js';
import type { ProviderSpec, TranslationContext, Translator } from '../types.js';
import { geminiEmbedToAzure } from './gemini-embeddings.js';
import { AzureOpenAITranslator, serves } from './translator.js';

// Azure has no public default endpoint, so the backend must name its resource;
// declared here (same rule as every backend's endpoint) so validate() can see it.
const Endpoint = z.string().regex(/^https?:\/\/[^/?#\s]+\/?$/, 'must be scheme://host[:port] (http or https, no path)');

function deploymentOption(ctx: TranslationContext): string | undefined {
  const d = ctx.options.deployment;
  return typeof d === 'string' && d !== '' ? d : undefined;
}

export const azureopenai: ProviderSpec = {
  name: 'azureopenai',
  telemetryName: 'azure.ai.openai',
  options: {
    endpoint: Endpoint.optional(),
    deployment: z.string().min(1).optional(),
    /** Default: the client's api-version query parameter, else DEFAULT_API_VERSION. */
    apiVersion: z.string().min(1).optional(),
  },
  // Only reached when validate() has already reported the missing endpoint.
  defaultEndpoint: () => 'https://azure-openai-endpoint-required.invalid',
  authPlacement: { headerName: 'api-key', prefix: '' },
  entraIdAuthorizer(backend) {
    const token = azureDefaultCredential(`backend "${backend.name}"`);
    return {
      async authorize() {
        return { authorization: `Bearer ${await token()}` };
      },
    };
  },
  nativeDialect: 'openai',
  nativeOperation: 'chat',
  translator(ctx): Translator | undefined {
    // Azure's v1 API has no /responses/input_tokens (it answers 404): the gateway estimates,
    // with the tokenizer of the deployment (the backend's, else the route's or the body's model).
    if (ctx.dialect === 'openai' && ctx.operation === 'other') return new EstimatedResponsesTokenCount(ctx, deploymentOption(ctx));
    if (ctx.dialect === 'gemini' && ctx.operation === 'embeddings') return geminiEmbedToAzure(ctx);
    return serves(ctx.dialect, ctx.operation) ? new AzureOpenAITranslator(ctx) : undefined;
  },
  validate(options) {
    return options.endpoint ? [] : ['endpoint: Required (Azure OpenAI has no public default: set https://{resource}.openai.azure.com)'];
  },
};

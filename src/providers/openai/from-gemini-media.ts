// Gemini media parts (inlineData bytes, fileData URIs) -> OpenAI content parts:
// images become image_url (a data URL, or the http(s) URL itself), PDFs a file part,
// WAV and MP3 input_audio, plain text a text part. Anything else (video, Google
// Files API and gs:// URIs, which OpenAI cannot fetch) is refused, naming the part.
import type { GeminiPart } from '../../dialects/gemini/types.js';
import type { ChatContentPart } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';

const AUDIO: Record<string, string> = { 'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/wave': 'wav', 'audio/mp3': 'mp3', 'audio/mpeg': 'mp3' };

export function mediaPart(p: GeminiPart, at: string): ChatContentPart {
  if (p.inlineData) {
    const { mimeType, data } = p.inlineData;
    const mime = (mimeType ?? '').toLowerCase();
    if (mime.startsWith('image/')) return { type: 'image_url', image_url: { url: `data:${mime};base64,${data}` } };
    if (mime === 'application/pdf') return { type: 'file', file: { filename: 'document.pdf', file_data: `data:${mime};base64,${data}` } };
    if (AUDIO[mime]) return { type: 'input_audio', input_audio: { data, format: AUDIO[mime]! } };
    if (mime.startsWith('text/')) return { type: 'text', text: Buffer.from(data, 'base64').toString('utf8') };
    throw new GatewayError('unsupported_field', `${at}.inlineData: "${mimeType}" cannot be sent to an OpenAI model (images, PDF, WAV/MP3 audio and text only)`, `${at}.inlineData.mimeType`);
  }
  const { fileUri, mimeType } = p.fileData!;
  // A remote image is the one kind of URL Chat Completions fetches itself.
  const isImage = mimeType ? mimeType.toLowerCase().startsWith('image/') : /\.(png|jpe?g|gif|webp)$/i.test(fileUri.split(/[?#]/)[0]!);
  if (/^https?:\/\//i.test(fileUri) && isImage && !/^https:\/\/generativelanguage\.googleapis\.com\//i.test(fileUri)) {
    return { type: 'image_url', image_url: { url: fileUri } };
  }
  throw new GatewayError('unsupported_field', `${at}.fileData: OpenAI models fetch only http(s) image URLs; send other files as inlineData`, `${at}.fileData.fileUri`);
}

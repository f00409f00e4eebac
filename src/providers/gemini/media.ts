// OpenAI content parts that carry media (image_url, input_audio, file) -> Gemini
// parts: data URLs become inlineData, remote URLs fileData. Gemini needs a MIME
// type for every file, so a URL whose type cannot be told is refused, not guessed.
import type { ChatContentPart } from '../../dialects/openai/types.js';
import type { GeminiPart } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../errors.js';

const BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
  txt: 'text/plain',
  mp3: 'audio/mp3',
  wav: 'audio/wav',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  aac: 'audio/aac',
  mp4: 'video/mp4',
  mov: 'video/mov',
  webm: 'video/webm',
};

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s;

/** A data URL -> inlineData; undefined when `url` is not a data URL. */
export function dataUrlPart(url: string, param: string): GeminiPart | undefined {
  const m = DATA_URL.exec(url);
  if (!m) return undefined;
  const mimeType = m[1] || undefined;
  if (!mimeType) throw new GatewayError('unsupported_field', `${param}: the data URL names no media type, which Gemini needs`, param);
  const isBase64 = m[2]!.split(';').includes('base64');
  const data = isBase64 ? m[3]!.replace(/\s+/g, '') : Buffer.from(decodeURIComponent(m[3]!), 'utf8').toString('base64');
  return { inlineData: { mimeType, data } };
}

export function mimeFromName(name: string): string | undefined {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  return ext ? BY_EXTENSION[ext] : undefined;
}

/** A remote URL (http(s), or gs:// for Vertex) -> fileData with a MIME type told by its extension. */
export function remoteUrlPart(url: string, param: string): GeminiPart {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new GatewayError('unsupported_field', `${param}: not a data URL or an absolute URL`, param);
  }
  if (!['http:', 'https:', 'gs:'].includes(parsed.protocol)) {
    throw new GatewayError('unsupported_field', `${param}: Gemini takes data URLs, http(s) and gs:// URLs, not ${parsed.protocol}`, param);
  }
  const mimeType = mimeFromName(parsed.pathname);
  if (!mimeType) {
    throw new GatewayError('unsupported_field', `${param}: Gemini needs the file's media type and the URL's extension does not tell it; send a data URL instead`, param);
  }
  return { fileData: { mimeType, fileUri: url } };
}

/** One OpenAI content part -> one Gemini part. */
export function contentPart(part: ChatContentPart, param: string): GeminiPart {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'image_url': {
      const url = part.image_url?.url;
      if (typeof url !== 'string') throw new GatewayError('unsupported_field', `${param}.image_url.url is missing`, `${param}.image_url.url`);
      // `detail` tunes OpenAI's own tiling; Gemini sizes images itself, so it has no counterpart.
      return dataUrlPart(url, `${param}.image_url.url`) ?? remoteUrlPart(url, `${param}.image_url.url`);
    }
    case 'input_audio': {
      const { data, format } = part.input_audio ?? {};
      if (typeof data !== 'string' || typeof format !== 'string') throw new GatewayError('unsupported_field', `${param}.input_audio needs data and format`, `${param}.input_audio`);
      return { inlineData: { mimeType: BY_EXTENSION[format] ?? `audio/${format}`, data } };
    }
    case 'file': {
      const f = part.file ?? {};
      if (f.file_id !== undefined || typeof f.file_data !== 'string') {
        throw new GatewayError('unsupported_field', `${param}.file: Gemini cannot read OpenAI file ids; send file_data`, `${param}.file.file_id`);
      }
      const inline = dataUrlPart(f.file_data, `${param}.file.file_data`);
      if (inline) return inline;
      const mimeType = f.filename ? mimeFromName(f.filename) : undefined;
      if (!mimeType) throw new GatewayError('unsupported_field', `${param}.file: send file_data as a data URL, or a filename whose extension tells the type`, `${param}.file.file_data`);
      return { inlineData: { mimeType, data: f.file_data } };
    }
    case 'refusal':
      return { text: part.refusal };
    default:
      throw new GatewayError('unsupported_field', `${param}.type ${(part as { type?: unknown }).type} has no Gemini counterpart`, `${param}.type`);
  }
}

import { tryParseJson, type JsonValue } from '@hubemu/shared';

/** A direct-method request as the hub delivered it. */
export interface MethodRequest {
  methodName: string;
  rid: string;
  /** The JSON payload (null when the body was empty; the raw text when it was not JSON). */
  payload: JsonValue;
  rawPayload: Buffer;
}

/** What a handler answers: `status` becomes the service response's status, `payload` its payload. */
export interface MethodResult {
  status: number;
  payload?: JsonValue;
  /** Runs once the response has been published: work that must come after the answer (a reboot). */
  afterResponse?: () => void | Promise<void>;
}

export type MethodHandler = (payload: JsonValue, request: MethodRequest) => MethodResult | Promise<MethodResult>;

/** The name that takes every method no other handler takes. */
export const ANY_METHOD = '*';

/** Method name -> handler, with `*` as the fallback. The last handler registered for a name wins. */
export class MethodRouter {
  private readonly handlers = new Map<string, MethodHandler[]>();

  get size(): number {
    return this.handlers.size;
  }

  add(name: string, handler: MethodHandler): () => void {
    const list = this.handlers.get(name) ?? [];
    list.push(handler);
    this.handlers.set(name, list);
    return () => {
      const current = this.handlers.get(name);
      if (!current) return;
      const index = current.lastIndexOf(handler);
      if (index >= 0) current.splice(index, 1);
      if (current.length === 0) this.handlers.delete(name);
    };
  }

  find(name: string): MethodHandler | undefined {
    const exact = this.handlers.get(name);
    if (exact && exact.length > 0) return exact[exact.length - 1];
    const any = this.handlers.get(ANY_METHOD);
    return any?.[any.length - 1];
  }
}

export function parseMethodPayload(raw: Buffer): JsonValue {
  const text = raw.toString('utf8');
  if (text.trim() === '') return null;
  const parsed = tryParseJson(text);
  return parsed.ok ? (parsed.value as JsonValue) : text;
}

/** Runs a handler; a throw or a bad result becomes a 500 answer instead of no answer at all. */
export async function runMethodHandler(handler: MethodHandler, request: MethodRequest): Promise<MethodResult> {
  try {
    const result = await handler(request.payload, request);
    if (!result || !Number.isInteger(result.status)) {
      return { status: 500, payload: { message: `The handler for '${request.methodName}' returned no integer status.` } };
    }
    return result;
  } catch (error) {
    return { status: 500, payload: { message: error instanceof Error ? error.message : String(error) } };
  }
}

/** The response body: JSON of the payload, `null` when there is none (as Node's SDK sends it). */
export function methodResponseBody(result: MethodResult): string {
  return JSON.stringify(result.payload === undefined ? null : result.payload);
}

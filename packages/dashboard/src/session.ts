/** Who the page speaks for: a SAS token of one shared access policy, as every REST client sends it. */
export interface Session {
  hostName: string;
  policyName: string;
  /** The `Authorization` header value: `SharedAccessSignature sr=...&sig=...&skn=...&se=...`. */
  authorization: string;
  expiresAt: string;
}

const STORAGE_KEY = 'hubemu.dashboard.session';
/** How long a token signed from a pasted connection string is valid. */
const PASTED_SESSION_SECONDS = 12 * 60 * 60;

export function loadSession(): Session | undefined {
  const text = sessionStorage.getItem(STORAGE_KEY);
  if (!text) return undefined;
  try {
    const session = JSON.parse(text) as Session;
    return Date.parse(session.expiresAt) > Date.now() ? session : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(STORAGE_KEY);
}

/** Exchanges the banner's one-time login token for a session. */
export async function exchangeLogin(login: string): Promise<Session> {
  const response = await fetch('/dashboard/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login }) });
  if (!response.ok) throw new Error('This login link was already used or has expired. Paste a connection string instead.');
  return (await response.json()) as Session;
}

/** The SDKs' strict URL encoding (`encodeURIComponent` plus `! ' ( ) *`). */
function encodeStrict(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
}

function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Signs a service SAS token in the browser (WebCrypto HMAC-SHA256), the way the Azure IoT SDKs do. */
async function signSas(resourceUri: string, base64Key: string, keyName: string, expiry: number): Promise<string> {
  const key = await crypto.subtle.importKey('raw', base64ToBytes(base64Key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const sr = encodeStrict(resourceUri);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${sr}\n${expiry}`)));
  const sig = btoa(String.fromCharCode(...mac));
  return `SharedAccessSignature sr=${sr}&sig=${encodeStrict(sig)}&skn=${encodeStrict(keyName)}&se=${expiry}`;
}

/** A session from a policy connection string (`HostName=...;SharedAccessKeyName=...;SharedAccessKey=...`); the key never leaves the page. */
export async function sessionFromConnectionString(text: string): Promise<Session> {
  const fields = new Map<string, string>();
  for (const part of text.trim().split(';')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const hostName = fields.get('HostName');
  const policyName = fields.get('SharedAccessKeyName');
  const key = fields.get('SharedAccessKey');
  if (!hostName || !policyName || !key) throw new Error('A policy connection string has HostName, SharedAccessKeyName and SharedAccessKey.');
  const expiry = Math.floor(Date.now() / 1000) + PASTED_SESSION_SECONDS;
  let authorization: string;
  try {
    authorization = await signSas(hostName.replace(/:\d+$/, ''), key, policyName, expiry);
  } catch {
    throw new Error('The SharedAccessKey is not valid base64.');
  }
  return { hostName, policyName, authorization, expiresAt: new Date(expiry * 1000).toISOString() };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

/** Debian's Firefox ESR (`apt-get install firefox-esr`; `.ci/run` installs it). */
export const FIREFOX = '/usr/bin/firefox-esr';

export function assertFirefoxInstalled(): void {
  if (!existsSync(FIREFOX)) throw new Error(`${FIREFOX} is missing: apt-get install -y firefox-esr`);
}

interface BidiMessage {
  id?: number;
  type?: 'success' | 'error' | 'event';
  method?: string;
  params?: { level?: string; text?: string };
  result?: unknown;
  error?: string;
  message?: string;
}

/**
 * Firefox driven over WebDriver BiDi, the W3C protocol Firefox speaks natively. playwright-core drives
 * Firefox only through its own patched build, or over BiDi with commands Debian's firefox-esr does not
 * know yet (`emulation.setMediaFeaturesOverride`, sent whenever it opens a page), so the dashboard's
 * Firefox test speaks the few commands it needs itself: navigate, evaluate, screenshot, console errors.
 */
export class Firefox {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  /** Console errors and uncaught exceptions the pages logged. */
  readonly errors: string[] = [];
  private context = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly socket: WebSocket,
    private readonly profile: string,
  ) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as BidiMessage;
      if (message.type === 'event') {
        if (message.method === 'log.entryAdded' && message.params?.level === 'error') this.errors.push(message.params.text ?? '');
        return;
      }
      const pending = message.id === undefined ? undefined : this.waiting.get(message.id);
      if (!pending || message.id === undefined) return;
      this.waiting.delete(message.id);
      if (message.type === 'error') pending.reject(new Error(`${message.error}: ${message.message}`));
      else pending.resolve(message.result);
    });
  }

  /** Starts a headless Firefox with a fresh profile that accepts the hub's self-signed certificate. */
  static async launch(): Promise<Firefox> {
    const profile = mkdtempSync(join(tmpdir(), 'hubemu-firefox-'));
    const child = spawn(FIREFOX, ['--headless', '--no-remote', '--profile', profile, '--remote-debugging-port=0', '--width=1280', '--height=860'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`Firefox did not start its WebDriver BiDi server within 60 s: ${output.slice(-2000)}`)), 60_000);
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const found = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(output)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
      child.once('exit', (code) => reject(new Error(`Firefox exited (${code}): ${output.slice(-2000)}`)));
    });
    const socket = new WebSocket(`${url}/session`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const firefox = new Firefox(child, socket, profile);
    await firefox.send('session.new', { capabilities: { alwaysMatch: { acceptInsecureCerts: true } } });
    await firefox.send('session.subscribe', { events: ['log.entryAdded'] });
    const tree = (await firefox.send('browsingContext.getTree', {})) as { contexts: Array<{ context: string }> };
    firefox.context = tree.contexts[0]?.context ?? '';
    return firefox;
  }

  send(method: string, params: object): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  async navigate(url: string): Promise<void> {
    await this.send('browsingContext.navigate', { context: this.context, url, wait: 'complete' });
  }

  /** Evaluates `expression` in the page and returns its value (a string, number or boolean). */
  async evaluate(expression: string): Promise<unknown> {
    const answer = (await this.send('script.evaluate', { expression, target: { context: this.context }, awaitPromise: true })) as {
      type: 'success' | 'exception';
      result?: { value?: unknown };
      exceptionDetails?: { text?: string };
    };
    if (answer.type === 'exception') throw new Error(`the page threw: ${answer.exceptionDetails?.text ?? 'unknown error'}`);
    return answer.result?.value;
  }

  /** Polls `expression` in the page until it is truthy, and returns its value. */
  async waitFor(expression: string, what: string, timeoutMs = 20_000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await this.evaluate(expression);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async screenshot(path: string): Promise<void> {
    const { data } = (await this.send('browsingContext.captureScreenshot', { context: this.context })) as { data: string };
    writeFileSync(path, Buffer.from(data, 'base64'));
  }

  async close(): Promise<void> {
    await Promise.race([this.send('browser.close', {}), new Promise((resolve) => setTimeout(resolve, 5_000))]).catch(() => undefined);
    this.socket.close();
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    rmSync(this.profile, { recursive: true, force: true });
  }
}

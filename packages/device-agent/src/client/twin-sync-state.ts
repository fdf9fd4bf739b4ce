import { applyMergePatch, withoutSystemKeys, type JsonObject } from '@hubemu/shared';
import type { DesiredPatch, TwinDocument } from './twin-messages.js';

/** One change to the local copy of desired properties. */
export interface DesiredChange {
  /** `sync`: a full GET replaced the copy; `patch`: a notification was merged into it. */
  source: 'sync' | 'patch';
  /** The desired `$version` after this change. */
  version: number;
  /** For `patch`, the notification body without `$version`; for `sync`, the whole desired document. */
  patch: JsonObject;
  /** The whole desired document after the change, without `$version`. Treat as read-only. */
  desired: JsonObject;
  /** True when versions were skipped before this one (a notification was missed). */
  gap: boolean;
}

export type DesiredVerdict =
  | { action: 'buffered' }
  | { action: 'dropped'; reason: 'stale' }
  | { action: 'applied'; change: DesiredChange };

/** Notifications kept while a GET is outstanding; beyond this the oldest go (the next GET covers them). */
const MAX_BUFFERED = 64;

/**
 * The twin-sync version rule of the reconnect flow (reference 1.6), with no I/O: subscribe to desired,
 * then GET; notifications that arrive meanwhile are held, and once the GET answers every notification
 * whose `$version` is not above the GET's desired `$version` is dropped. Versions only increase, so this
 * never loses an update and never applies one twice.
 */
export class TwinSyncState {
  private desiredDoc: JsonObject = {};
  private reportedDoc: JsonObject = {};
  private desiredVer = 0;
  private reportedVer = 0;
  private syncing = true;
  private everSynced = false;
  private buffer: DesiredPatch[] = [];

  get desired(): JsonObject {
    return this.desiredDoc;
  }

  get reported(): JsonObject {
    return this.reportedDoc;
  }

  get desiredVersion(): number {
    return this.desiredVer;
  }

  get reportedVersion(): number {
    return this.reportedVer;
  }

  /** True once a GET has been applied and no newer GET is outstanding. */
  get synced(): boolean {
    return this.everSynced && !this.syncing;
  }

  /** A GET is about to be sent: hold notifications until it answers. */
  beginSync(): void {
    this.syncing = true;
  }

  /**
   * Applies a GET response. Returns the `sync` change followed by the held notifications newer than it,
   * in version order.
   */
  completeSync(doc: TwinDocument): DesiredChange[] {
    const previous = this.everSynced ? this.desiredVer : undefined;
    this.desiredDoc = withoutSystemKeys(doc.desired);
    this.desiredVer = doc.desired.$version;
    this.reportedDoc = withoutSystemKeys(doc.reported);
    this.reportedVer = doc.reported.$version;
    this.syncing = false;
    this.everSynced = true;
    const gap = previous !== undefined && this.desiredVer > previous + 1;
    const changes: DesiredChange[] = [
      { source: 'sync', version: this.desiredVer, patch: this.desiredDoc, desired: this.desiredDoc, gap },
    ];
    const held = this.buffer.sort((a, b) => a.$version - b.$version);
    this.buffer = [];
    for (const patch of held) {
      const verdict = this.receiveDesired(patch);
      if (verdict.action === 'applied') changes.push(verdict.change);
    }
    return changes;
  }

  /** Classifies (and applies, when fresh) a desired notification. */
  receiveDesired(patch: DesiredPatch): DesiredVerdict {
    if (this.syncing) {
      this.buffer.push(patch);
      if (this.buffer.length > MAX_BUFFERED) this.buffer.shift();
      return { action: 'buffered' };
    }
    if (patch.$version <= this.desiredVer) return { action: 'dropped', reason: 'stale' };
    const gap = patch.$version > this.desiredVer + 1;
    const body = withoutSystemKeys(patch);
    this.desiredDoc = applyMergePatch(this.desiredDoc, body);
    this.desiredVer = patch.$version;
    return { action: 'applied', change: { source: 'patch', version: patch.$version, patch: body, desired: this.desiredDoc, gap } };
  }

  /** Records a reported patch the hub accepted (at `version`, when it said). */
  applyReported(patch: JsonObject, version: number | undefined): void {
    this.reportedDoc = applyMergePatch(this.reportedDoc, patch);
    if (version !== undefined && version > this.reportedVer) this.reportedVer = version;
  }
}

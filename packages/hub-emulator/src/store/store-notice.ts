/** What a store reports about its log or its Redis: the host decides how to log it (libraries emit, hosts log). */
export interface StoreNotice {
  level: 'info' | 'warn' | 'error';
  kind: 'tornLineCut' | 'recordsMovedAside' | 'compactionFailed' | 'writeRefused' | 'writesRecovered' | 'logLost' | 'closeFailed' | 'tailFailed' | 'resync' | 'listenerFailed' | 'badRecord';
  /** The log file (or the Redis URL) the notice is about. */
  file: string;
  message: string;
  /** 1-based line of the log, when the notice is about one line. */
  line?: number;
}

/** The log cannot be replayed: names the file, the 1-based line and why. */
export class StateCorruptError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}. Start with --repair-state (startHub({ repairState: true })) to move bad records aside and start.`);
    this.name = 'StateCorruptError';
  }
}

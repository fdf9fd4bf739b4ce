/**
 * The logger a host may pass to the hub or the device agent (pino's shape). Libraries emit, hosts log:
 * both are silent by default, and every line carries the device id (and `$rid` where there is one).
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const noop = (): void => undefined;

/** A logger that writes nothing: the default of every library. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

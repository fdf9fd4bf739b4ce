import { ApiError } from './api.js';

/** An error as the hub named it (`412 PreconditionFailed: ...`). */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.status} ${error.errorCode}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

export function ErrorLine({ error }: { error: unknown }) {
  if (error === undefined) return null;
  return (
    <p role="alert" class="error">
      {describeError(error)}
    </p>
  );
}

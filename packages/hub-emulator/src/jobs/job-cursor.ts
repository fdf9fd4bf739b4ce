import { HubError } from '@hubemu/shared';
import type { StoredJob } from './job-schemas.js';

/** Jobs list in creation order, ties broken by id: the key a page continues after. */
export function jobOrderKey(job: StoredJob): string {
  return `${String(job.createdMs).padStart(16, '0')}/${job.jobId}`;
}

/** The `x-ms-continuation` of `/jobs/v2/query`: the last key of the page, base64url. */
export function encodeJobCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeJobCursor(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^\d{16}\/.+$/.test(key)) throw new HubError('ArgumentInvalid', 'Invalid continuation token: it was not issued by this hub for a jobs query.');
  return key;
}

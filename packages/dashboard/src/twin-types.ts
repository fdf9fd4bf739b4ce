export type Json = Record<string, unknown>;

/** A twin as `GET /twins/{id}` returns it (the fields the pages read). */
export interface Twin {
  deviceId: string;
  etag: string;
  version: number;
  status?: string;
  connectionState?: string;
  lastActivityTime?: string;
  modelId?: string;
  tags?: Json;
  properties: { desired: Json; reported: Json };
}

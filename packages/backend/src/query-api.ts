import type { RestClient } from './rest-client.js';

export interface QueryOptions {
  /** Items per page (`x-ms-max-item-count`, the service serves at most 100). */
  pageSize?: number;
}

/** One page of a query: its items and the service's `x-ms-item-type` (`twin`, `deviceJob`, `raw`...). */
export interface QueryPage<T> {
  items: T[];
  itemType: string | undefined;
}

/** The IoT Hub query language: `POST /devices/query`, paged with `x-ms-continuation`. */
export class QueryApi {
  constructor(private readonly rest: RestClient) {}

  /** The pages of `sql`, fetched one at a time as you iterate. */
  async *pages<T = unknown>(sql: string, options: QueryOptions = {}): AsyncGenerator<QueryPage<T>> {
    const pages = this.rest.pages<T>((continuation) => ({
      method: 'POST',
      path: '/devices/query',
      body: { query: sql },
      headers: { 'x-ms-continuation': continuation, 'x-ms-max-item-count': options.pageSize },
    }));
    for await (const page of pages) {
      const itemType = page.headers['x-ms-item-type'];
      yield { items: page.items, itemType: Array.isArray(itemType) ? itemType[0] : itemType };
    }
  }

  /** The items of `sql`, one at a time, across pages. */
  async *items<T = unknown>(sql: string, options: QueryOptions = {}): AsyncGenerator<T> {
    for await (const page of this.pages<T>(sql, options)) yield* page.items;
  }

  /** Every item of `sql` (fine for small results; iterate `items()` for big ones). */
  async all<T = unknown>(sql: string, options: QueryOptions = {}): Promise<T[]> {
    const out: T[] = [];
    for await (const item of this.items<T>(sql, options)) out.push(item);
    return out;
  }
}

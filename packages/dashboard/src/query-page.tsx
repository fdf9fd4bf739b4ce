import { useState } from 'preact/hooks';
import { ApiError, queryPage } from './api.js';
import { ErrorLine } from './errors-view.js';
import { useLatestOnly } from './latest-only.js';
import { barsOf, GroupChart } from './group-chart.js';
import type { Session } from './session.js';

const PAGE_SIZE = 50;
type Row = Record<string, unknown>;
const cell = (value: unknown): string => (value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));

/** The query text with the error's position marked (the hub names it `at position N`, 1-based). */
function ErrorAt({ query, error }: { query: string; error: ApiError }) {
  if (error.position === undefined) return null;
  const at = Math.max(0, Math.min(query.length, error.position - 1));
  return (
    <pre class="query-error" data-testid="query-error-position">
      {query.slice(0, at)}
      <mark>{query.slice(at, at + 1) || ' '}</mark>
      {query.slice(at + 1)}
    </pre>
  );
}

/** Runs any query: rows as a table with paging; GROUP BY results also as a bar chart; errors at their position. */
export function QueryPage({ session }: { session: Session }) {
  const [query, setQuery] = useState("SELECT properties.reported.telemetryConfig.status AS status, COUNT() AS count FROM devices GROUP BY properties.reported.telemetryConfig.status");
  const [ran, setRan] = useState('');
  const [pages, setPages] = useState<Row[][]>([]);
  const [pageIndex, setPageIndex] = useState(0);
  const [continuation, setContinuation] = useState<string>();
  const [error, setError] = useState<unknown>();

  // Running again (or paging) while an answer is pending: only the newest request's answer is shown.
  const latest = useLatestOnly();
  const run = async (event?: Event): Promise<void> => {
    event?.preventDefault();
    const ticket = latest.start();
    try {
      const page = await queryPage<Row>(session, query, PAGE_SIZE);
      if (!latest.isLatest(ticket)) return;
      setRan(query);
      setPages([page.rows]);
      setPageIndex(0);
      setContinuation(page.continuation);
      setError(undefined);
    } catch (e) {
      if (!latest.isLatest(ticket)) return;
      setRan(query);
      setError(e);
      setPages([]);
    }
  };
  const next = async (): Promise<void> => {
    if (pageIndex + 1 < pages.length) return setPageIndex(pageIndex + 1);
    const ticket = latest.start();
    try {
      const page = await queryPage<Row>(session, ran, PAGE_SIZE, continuation);
      if (!latest.isLatest(ticket)) return;
      setPages([...pages, page.rows]);
      setPageIndex(pageIndex + 1);
      setContinuation(page.continuation);
    } catch (e) {
      setError(e);
    }
  };
  const rows = pages[pageIndex] ?? [];
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const grouped = /\bGROUP\s+BY\b/i.test(ran);

  return (
    <section aria-labelledby="query-title">
      <h1 id="query-title">Query</h1>
      <form onSubmit={(e) => void run(e)}>
        <label for="query-text">Query</label>
        <textarea id="query-text" rows={3} value={query} onInput={(e) => setQuery(e.currentTarget.value)} spellcheck={false} />
        <button type="submit">Run query</button>
      </form>
      <ErrorLine error={error} />
      {error instanceof ApiError && <ErrorAt query={ran} error={error} />}
      {grouped && rows.length > 0 && <GroupChart bars={barsOf(rows)} />}
      {pages.length > 0 && (
        <>
          <table data-testid="query-rows">
            <caption>
              page {pageIndex + 1}: {rows.length} rows
            </caption>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c}>{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr key={i}>
                  {columns.map((c) => (
                    <td key={c} class="json">
                      {cell(row[c])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <div class="row">
            <button type="button" disabled={pageIndex === 0} onClick={() => setPageIndex(pageIndex - 1)}>
              Previous page
            </button>
            <button type="button" disabled={pageIndex + 1 >= pages.length && !continuation} onClick={() => void next()}>
              Next page
            </button>
          </div>
        </>
      )}
    </section>
  );
}

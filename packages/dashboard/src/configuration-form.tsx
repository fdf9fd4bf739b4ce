import { useState } from 'preact/hooks';
import { api } from './api.js';
import type { Configuration } from './configuration-types.js';
import { ErrorLine } from './errors-view.js';
import { JsonEditor } from './json-editor.js';
import { configurationHref } from './route.js';
import type { Session } from './session.js';

const CONTENT = JSON.stringify({ 'properties.desired.telemetryConfig': { configId: 'cfg-1', sendFrequency: '10m' } }, null, 2);
const METRICS = JSON.stringify(
  {
    succeeded: "SELECT deviceId FROM devices WHERE properties.reported.telemetryConfig.status = 'Success'",
    failed: "SELECT deviceId FROM devices WHERE properties.reported.telemetryConfig.status = 'Failed'",
  },
  null,
  2,
);

function parseObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`The ${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`The ${what} must be a JSON object.`);
  return value as Record<string, unknown>;
}

/** Creates an automatic device configuration (`PUT /configurations/{id}`): target condition, priority, content and custom metrics. */
export function ConfigurationForm({ session, onCreated }: { session: Session; onCreated: () => void }) {
  const [id, setId] = useState('telemetry-config');
  const [condition, setCondition] = useState('*');
  const [priority, setPriority] = useState('10');
  const [content, setContent] = useState(CONTENT);
  const [metrics, setMetrics] = useState(METRICS);
  const [error, setError] = useState<unknown>();

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    try {
      const body = {
        id,
        schemaVersion: '1.0',
        labels: {},
        content: { deviceContent: parseObject(content, 'content') },
        targetCondition: condition,
        priority: Number(priority),
        metrics: { queries: parseObject(metrics, 'custom metrics') },
      };
      await api<Configuration>(session, 'PUT', `/configurations/${encodeURIComponent(id)}`, { body });
      setError(undefined);
      onCreated();
      location.hash = configurationHref(id);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <form class="panel stack" onSubmit={(e) => void submit(e)} aria-labelledby="new-configuration-title">
      <h2 id="new-configuration-title">New configuration</h2>
      <div class="row">
        <label>
          Configuration id (lowercase) <input value={id} required onInput={(e) => setId(e.currentTarget.value)} />
        </label>
        <label>
          Priority <input type="number" min={0} value={priority} onInput={(e) => setPriority(e.currentTarget.value)} />
        </label>
      </div>
      <label>
        Target condition (a WHERE clause without WHERE, or *)
        <input value={condition} required onInput={(e) => setCondition(e.currentTarget.value)} placeholder="tags.location.region = 'US'" />
      </label>
      <p class="muted">Content: twin paths to the values the hub writes into every targeted twin.</p>
      <JsonEditor id="configuration-content-editor" label="Configuration content (JSON)" text={content} revision={0} onChange={setContent} />
      <p class="muted">Custom metrics: name to a query selecting deviceId (at most 5).</p>
      <JsonEditor id="configuration-metrics-editor" label="Custom metric queries (JSON)" text={metrics} revision={0} onChange={setMetrics} />
      <div class="row">
        <button type="submit">Create configuration</button>
      </div>
      <ErrorLine error={error} />
    </form>
  );
}

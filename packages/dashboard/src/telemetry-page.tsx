import { useMemo, useRef, useState } from 'preact/hooks';
import { appendBounded } from './bounded.js';
import { useLiveEvents, type TelemetryEvent } from './live-events.js';
import { deviceHref } from './route.js';
import { numericFields } from './telemetry-fields.js';
import { TimeChart, type TimeData } from './time-chart.js';

/** Messages kept (bodies are at most 4,096 characters each: about 2 MB at most). */
const KEEP = 500;
/** Rows drawn in the table, newest first. */
const SHOWN = 100;
/** Devices drawn as their own line in the chart. */
const MAX_LINES = 8;
/** Numeric fields offered for the chart. */
const MAX_FIELDS = 50;
const COLORS = ['#2563eb', '#15803d', '#b91c1c', '#d97706', '#7c3aed', '#0891b2', '#be185d', '#4d7c0f'];

interface Message {
  event: TelemetryEvent;
  numbers: Record<string, number>;
  at: number;
  /** Arrival order, the row's key. */
  seq: number;
}

const describeProperties = (event: TelemetryEvent): string =>
  Object.entries({ ...event.properties, ...(event.systemProperties ?? {}) })
    .map(([key, value]) => `${key}=${value ?? ''}`)
    .join(' ');

/** The fleet's telemetry live from the event stream: the last messages with their properties, a device filter, pause, and a chart of a numeric body field. */
export function TelemetryPage() {
  const [messages, setMessages] = useState<Message[]>([]);
  const [fields, setFields] = useState<string[]>([]);
  const [paused, setPaused] = useState(false);
  const [missed, setMissed] = useState(0);
  const [device, setDevice] = useState('');
  const [field, setField] = useState('');
  const arrivals = useRef(0);
  // Read when each event arrives: the click sets it at once, before the re-render that would hand the stream a new handler.
  const pausedNow = useRef(false);
  const togglePause = (): void => {
    pausedNow.current = !pausedNow.current;
    setPaused(pausedNow.current);
    setMissed(0);
  };

  useLiveEvents(
    (name, data) => {
      if (name !== 'telemetry') return;
      if (pausedNow.current) {
        setMissed((n) => n + 1);
        return;
      }
      const event = data as TelemetryEvent;
      const numbers = numericFields(event.body, event.bodyEncoding);
      setMessages((list) => appendBounded(list, { event, numbers, at: Date.parse(event.receivedAt) / 1000, seq: (arrivals.current += 1) }, KEEP));
      const names = Object.keys(numbers);
      if (names.length > 0) setFields((known) => (names.every((n) => known.includes(n)) || known.length >= MAX_FIELDS ? known : [...new Set([...known, ...names])].slice(0, MAX_FIELDS)));
    },
    [],
  );

  const filter = device.trim();
  const shown = useMemo(() => messages.filter((m) => filter === '' || m.event.deviceId.startsWith(filter)), [messages, filter]);
  const chosen = field || fields[0] || '';
  const chart = useMemo(() => {
    const points = shown.filter((m) => m.numbers[chosen] !== undefined);
    const devices = [...new Set(points.map((m) => m.event.deviceId))].slice(0, MAX_LINES);
    const data: TimeData = { times: [], columns: devices.map(() => []) };
    for (const m of points) {
      const line = devices.indexOf(m.event.deviceId);
      if (line < 0) continue;
      data.times.push(m.at);
      data.columns.forEach((column, i) => column.push(i === line ? (m.numbers[chosen] ?? null) : null));
    }
    return { devices, data };
  }, [shown, chosen]);
  const deviceIds = useMemo(() => [...new Set(messages.map((m) => m.event.deviceId))].sort(), [messages]);

  return (
    <section aria-labelledby="telemetry-page-title">
      <h1 id="telemetry-page-title">Live telemetry</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Telemetry view">
        <label>
          Device (id or prefix)
          <input value={device} list="telemetry-devices" onInput={(e) => setDevice(e.currentTarget.value)} placeholder="all devices" />
          <datalist id="telemetry-devices">
            {deviceIds.map((id) => (
              <option key={id} value={id} />
            ))}
          </datalist>
        </label>
        <label>
          Numeric field to chart
          <select value={chosen} onChange={(e) => setField(e.currentTarget.value)} disabled={fields.length === 0}>
            {fields.length === 0 && <option value="">no numeric field yet</option>}
            {fields.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" aria-pressed={paused} onClick={togglePause}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" onClick={() => setMessages([])}>
          Clear
        </button>
      </form>
      <p class="muted" role="status">
        {paused ? `Paused: ${missed} messages not shown. ` : ''}
        {shown.length} of the last {messages.length} messages{filter ? ` from devices whose id starts with ${filter}` : ''} (the page keeps {KEEP}; telemetry needs a policy with ServiceConnect).
      </p>
      {chosen && chart.devices.length > 0 && (
        <TimeChart
          series={chart.devices.map((id, i) => ({ label: id, color: COLORS[i % COLORS.length] ?? '#000' }))}
          data={chart.data}
          testId="telemetry-chart"
          fromZero={false}
          minSpanSeconds={1}
          label={`${chosen} over time for ${chart.devices.join(', ')}`}
        />
      )}
      <table data-testid="telemetry">
        <thead>
          <tr>
            <th>Received</th>
            <th>Device</th>
            <th>Properties</th>
            <th>Body</th>
          </tr>
        </thead>
        <tbody>
          {shown
            .slice(-SHOWN)
            .reverse()
            .map((m) => (
              <tr key={m.seq} data-device={m.event.deviceId}>
                <td>{new Date(m.event.receivedAt).toLocaleTimeString()}</td>
                <td>
                  <a href={deviceHref(m.event.deviceId)}>{m.event.deviceId}</a>
                  {m.event.moduleId ? ` / ${m.event.moduleId}` : ''}
                </td>
                <td class="json">{describeProperties(m.event)}</td>
                <td class="json">
                  {m.event.bodyEncoding === 'base64' ? `(base64) ${m.event.body}` : m.event.body}
                  {m.event.truncated ? ' …(cut)' : ''}
                </td>
              </tr>
            ))}
        </tbody>
      </table>
    </section>
  );
}

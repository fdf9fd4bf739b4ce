import { useState } from 'preact/hooks';
import { api } from './api.js';
import { ErrorLine } from './errors-view.js';
import { JsonEditor } from './json-editor.js';
import type { Job } from './job-types.js';
import { jobHref } from './route.js';
import type { Session } from './session.js';

const PATCH = JSON.stringify({ properties: { desired: { telemetryConfig: { sendFrequency: '5m' } } } }, null, 2);
const PAYLOAD = JSON.stringify({ delayInSeconds: 1 }, null, 2);

function parseJson(text: string, what: string): unknown {
  try {
    return text.trim() === '' ? null : JSON.parse(text);
  } catch (e) {
    throw new Error(`The ${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Creates a twin-update or direct-method job on the devices a query condition matches (`PUT /jobs/v2/{id}`), then opens it. */
export function JobForm({ session }: { session: Session }) {
  const [jobId, setJobId] = useState(() => `job-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`);
  const [type, setType] = useState<Job['type']>('scheduleUpdateTwin');
  const [condition, setCondition] = useState('*');
  const [patch, setPatch] = useState(PATCH);
  const [methodName, setMethodName] = useState('reboot');
  const [payload, setPayload] = useState(PAYLOAD);
  const [timeout, setTimeoutSeconds] = useState('30');
  const [maxSeconds, setMaxSeconds] = useState('3600');
  const [startAfter, setStartAfter] = useState('0');
  const [error, setError] = useState<unknown>();

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    try {
      const body = {
        jobId,
        type,
        queryCondition: condition,
        startTime: new Date(Date.now() + Number(startAfter) * 1000).toISOString(),
        maxExecutionTimeInSeconds: Number(maxSeconds),
        ...(type === 'scheduleUpdateTwin'
          ? { updateTwin: { etag: '*', ...(parseJson(patch, 'twin patch') as object) } }
          : { cloudToDeviceMethod: { methodName, payload: parseJson(payload, 'payload'), responseTimeoutInSeconds: Number(timeout), connectTimeoutInSeconds: 0 } }),
      };
      await api<Job>(session, 'PUT', `/jobs/v2/${encodeURIComponent(jobId)}`, { body });
      setError(undefined);
      location.hash = jobHref(jobId);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <form class="panel stack" onSubmit={(e) => void submit(e)} aria-labelledby="new-job-title">
      <h2 id="new-job-title">New job</h2>
      <div class="row">
        <label>
          Job id <input value={jobId} required onInput={(e) => setJobId(e.currentTarget.value)} />
        </label>
        <label>
          Job type
          <select value={type} onChange={(e) => setType(e.currentTarget.value as Job['type'])}>
            <option value="scheduleUpdateTwin">Twin update</option>
            <option value="scheduleDeviceMethod">Direct method</option>
          </select>
        </label>
        <label>
          Start after (s) <input type="number" min={0} value={startAfter} onInput={(e) => setStartAfter(e.currentTarget.value)} />
        </label>
        <label>
          Max execution time (s) <input type="number" min={1} value={maxSeconds} onInput={(e) => setMaxSeconds(e.currentTarget.value)} />
        </label>
      </div>
      <label>
        Query condition (a WHERE clause without WHERE, or *)
        <input value={condition} required onInput={(e) => setCondition(e.currentTarget.value)} placeholder="tags.location.region = 'US'" />
      </label>
      {type === 'scheduleUpdateTwin' ? (
        <div>
          <p class="muted">Twin patch: tags and/or desired properties, merged into every matching twin.</p>
          <JsonEditor id="job-patch-editor" label="Twin patch (JSON)" text={patch} revision={0} onChange={setPatch} />
        </div>
      ) : (
        <>
          <div class="row">
            <label>
              Method name <input value={methodName} required onInput={(e) => setMethodName(e.currentTarget.value)} />
            </label>
            <label>
              Response timeout (s) <input type="number" min={5} max={300} value={timeout} onInput={(e) => setTimeoutSeconds(e.currentTarget.value)} />
            </label>
          </div>
          <JsonEditor id="job-payload-editor" label="Method payload (JSON)" text={payload} revision={0} onChange={setPayload} />
        </>
      )}
      <div class="row">
        <button type="submit">Create job</button>
      </div>
      <ErrorLine error={error} />
    </form>
  );
}

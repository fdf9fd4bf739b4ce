import { useState } from 'preact/hooks';
import { api } from './api.js';
import { describeError } from './errors-view.js';
import type { Session } from './session.js';

/** Invokes a direct method with a JSON payload and shows the device's answer or the error code. */
export function MethodForm({ session, deviceId }: { session: Session; deviceId: string }) {
  const [name, setName] = useState('reboot');
  const [payload, setPayload] = useState('{}');
  const [answer, setAnswer] = useState<string>();
  const invoke = async (event: Event): Promise<void> => {
    event.preventDefault();
    setAnswer('waiting for the device...');
    try {
      const body: unknown = payload.trim() === '' ? null : JSON.parse(payload);
      const result = await api<{ status: number; payload: unknown }>(session, 'POST', `/twins/${encodeURIComponent(deviceId)}/methods`, {
        body: { methodName: name, payload: body, responseTimeoutInSeconds: 30 },
      });
      setAnswer(`status ${result.body.status}: ${JSON.stringify(result.body.payload)}`);
    } catch (e) {
      setAnswer(describeError(e));
    }
  };
  return (
    <form onSubmit={(e) => void invoke(e)} aria-labelledby="method-title">
      <h2 id="method-title">Direct method</h2>
      <label>
        Method name <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        Payload (JSON) <textarea rows={2} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} />
      </label>
      <button type="submit">Invoke</button>
      {answer && <output data-testid="method-answer">{answer}</output>}
    </form>
  );
}

import { useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import { withoutSystemKeys } from './drift.js';
import { ErrorLine } from './errors-view.js';
import { JsonEditor } from './json-editor.js';
import type { Session } from './session.js';
import type { Twin } from './twin-types.js';

/** What the editor holds: the writable parts of a twin. */
export const editableText = (twin: Twin): string => JSON.stringify({ tags: twin.tags ?? {}, properties: { desired: withoutSystemKeys(twin.properties.desired) } }, null, 2);

/**
 * Edits tags and desired properties with the twin's etag (`PUT /twins/{id}` with `If-Match`). A 412
 * is shown as a conflict with both versions, never overwritten silently.
 */
export function TwinEdit({ session, twin, onSaved }: { session: Session; twin: Twin; onSaved: (twin: Twin) => void }) {
  const [text, setTextState] = useState(() => editableText(twin));
  // Bumped whenever the text is replaced from outside the editor (a reload, a revert, the hub's version).
  const [revision, setRevision] = useState(0);
  const setText = (next: string): void => {
    setTextState(next);
    setRevision((r) => r + 1);
  };
  const [base, setBase] = useState(twin);
  const [error, setError] = useState<unknown>();
  const [conflict, setConflict] = useState<Twin>();
  const dirty = text !== editableText(base);
  // A twin that changed on the hub replaces a clean editor; a dirty one keeps the user's text (and its old etag).
  if (!dirty && twin.etag !== base.etag) {
    setBase(twin);
    setText(editableText(twin));
  }
  const path = `/twins/${encodeURIComponent(twin.deviceId)}`;

  const save = async (etag: string): Promise<void> => {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      setError(new Error(`The editor does not hold valid JSON: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    try {
      const saved = await api<Twin>(session, 'PUT', path, { body, headers: { 'If-Match': `"${etag}"` } });
      setConflict(undefined);
      setError(undefined);
      setBase(saved.body);
      setText(editableText(saved.body));
      onSaved(saved.body);
    } catch (e) {
      setError(e);
      if (e instanceof ApiError && e.status === 412) setConflict((await api<Twin>(session, 'GET', path)).body);
    }
  };

  return (
    <section aria-labelledby="edit-title">
      <h2 id="edit-title">Tags and desired properties</h2>
      <p class="muted">
        etag <code data-testid="editor-etag">{base.etag}</code>
        {dirty ? ' (edited)' : ''}
      </p>
      <JsonEditor id="twin-editor" label="Twin tags and desired properties (JSON)" text={text} revision={revision} onChange={setTextState} />
      <div class="row">
        <button type="button" onClick={() => void save(base.etag)} disabled={!dirty}>
          Save with etag
        </button>
        <button type="button" onClick={() => (setBase(twin), setText(editableText(twin)), setConflict(undefined), setError(undefined))}>
          Revert
        </button>
      </div>
      <ErrorLine error={error} />
      {conflict && (
        <div class="conflict" role="region" aria-label="Conflict">
          <h3>Conflict: the twin changed on the hub since you loaded it (etag {base.etag}, now {conflict.etag})</h3>
          <div class="side-by-side">
            <figure>
              <figcaption>Yours</figcaption>
              <pre data-testid="conflict-yours">{text}</pre>
            </figure>
            <figure>
              <figcaption>The hub's</figcaption>
              <pre data-testid="conflict-theirs">{editableText(conflict)}</pre>
            </figure>
          </div>
          <div class="row">
            <button type="button" onClick={() => (setBase(conflict), setText(editableText(conflict)), setConflict(undefined), setError(undefined))}>
              Take the hub's version
            </button>
            <button type="button" onClick={() => void save(conflict.etag)}>
              Overwrite with mine
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

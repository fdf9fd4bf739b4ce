import { json } from '@codemirror/lang-json';
import { Annotation } from '@codemirror/state';
import { EditorView, basicSetup } from 'codemirror';
import { useEffect, useRef } from 'preact/hooks';

/** Marks the editor's own replacement of its text, so it is not reported back as an edit. */
const replaced = Annotation.define<boolean>();

/**
 * A CodeMirror 6 JSON editor. The user's edits are reported through `onChange`; the text is replaced
 * by `text` only when `revision` changes (a reload, a revert), never echoed back from an edit, so
 * typing and a replacement cannot chase each other.
 */
export function JsonEditor({ text, revision, onChange, label, id }: { text: string; revision: number; onChange: (text: string) => void; label: string; id: string }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView>();
  const changed = useRef(onChange);
  changed.current = onChange;
  useEffect(() => {
    if (!host.current) return undefined;
    view.current = new EditorView({
      doc: text,
      parent: host.current,
      extensions: [
        basicSetup,
        json(),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': label, id }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && !update.transactions.some((t) => t.annotation(replaced))) changed.current(update.state.doc.toString());
        }),
      ],
    });
    return () => view.current?.destroy();
  }, []);
  useEffect(() => {
    const current = view.current;
    if (current && current.state.doc.toString() !== text) current.dispatch({ changes: { from: 0, to: current.state.doc.length, insert: text }, annotations: replaced.of(true) });
  }, [revision]);
  return <div class="editor" ref={host} />;
}

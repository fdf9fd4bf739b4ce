import { useEffect, useState } from 'preact/hooks';
import { exchangeLogin, sessionFromConnectionString, type Session } from './session.js';

/** Signs in with the banner's one-time link (`#login=...`) or a pasted policy connection string. */
export function LoginPage({ onSession }: { onSession: (session: Session) => void }) {
  const [error, setError] = useState<string>();
  const [text, setText] = useState('');
  useEffect(() => {
    const login = /^#login=([\w-]+)$/.exec(location.hash)?.[1];
    if (!login) return;
    history.replaceState(null, '', `${location.pathname}#/devices`);
    exchangeLogin(login).then(onSession, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    try {
      onSession(await sessionFromConnectionString(text));
      if (!location.hash.startsWith('#/')) location.hash = '#/devices';
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <main class="login">
      <h1>hubemu dashboard</h1>
      <p>Open the link the hub printed in its banner, or paste the connection string of a shared access policy.</p>
      <form onSubmit={(e) => void submit(e)}>
        <label for="cs">Policy connection string</label>
        <input id="cs" type="password" autocomplete="off" value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="HostName=localhost;SharedAccessKeyName=registryRead;SharedAccessKey=..." />
        <button type="submit">Sign in</button>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </main>
  );
}

import tls from 'node:tls';
import type { Hub } from './hub.js';

/**
 * For tests that embed a hub on port 0: lets Microsoft's `azure-iothub` (service SDK) reach it, in
 * this process only, by patching `tls.connect` and `tls.createSecureContext`; returns the function
 * that undoes it. Two things stand in the way, both on the SDK side:
 *
 * - it builds its own https Agent and takes no `ca` option, so the hub's in-memory CA is added to
 *   every TLS connection that names no CA of its own (outside tests: NODE_EXTRA_CA_CERTS);
 * - it passes the connection string's `HostName` (`localhost:PORT`) to `https.request` as the host
 *   name with the default port 443, so `localhost:PORT` is sent to `localhost`, port PORT. On the
 *   hub's default port 443 neither is needed, which is why that is the default.
 */
export function routeAzureIotHubSdkTo(hub: Hub): () => void {
  const originalContext = tls.createSecureContext;
  const originalConnect = tls.connect;
  const caPem = hub.caPem;
  tls.createSecureContext = ((options?: tls.SecureContextOptions) =>
    originalContext(options?.ca === undefined && caPem !== undefined ? { ...options, ca: [...tls.rootCertificates, caPem] } : options)) as typeof tls.createSecureContext;
  tls.connect = ((...args: unknown[]) => {
    const options = args[0];
    if (typeof options === 'object' && options !== null) {
      const o = options as tls.ConnectionOptions;
      const match = typeof o.host === 'string' ? /^(.+):(\d+)$/.exec(o.host) : null;
      if (match) args[0] = { ...o, host: match[1], port: Number(match[2]), servername: match[1] };
    }
    return (originalConnect as (...a: unknown[]) => tls.TLSSocket)(...args);
  }) as typeof tls.connect;
  return () => {
    tls.createSecureContext = originalContext;
    tls.connect = originalConnect;
  };
}

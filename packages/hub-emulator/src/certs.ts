import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';

export interface TlsMaterial {
  key: string;
  cert: string;
  /** PEM of the CA that clients trust (`ca.pem`); undefined when the user brought their own cert. */
  caPem?: string;
  caPath?: string;
}

function newKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), pem };
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f; // positive
  return bytes.toString('hex');
}

function makeCa(): { certPem: string; keyPem: string } {
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000);
  const attrs = [{ name: 'commonName', value: 'hubemu local development CA' }, { name: 'organizationName', value: 'hubemu' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.pem };
}

function makeServerCert(hostName: string, ca: { certPem: string; keyPem: string }): { certPem: string; keyPem: string } {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(Date.now() + 2 * 365 * 24 * 3600 * 1000);
  cert.setSubject([{ name: 'commonName', value: hostName }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames: Array<{ type: number; value?: string; ip?: string }> = [];
  for (const name of new Set([hostName, 'localhost'])) {
    altNames.push(isIP(name) ? { type: 7, ip: name } : { type: 2, value: name });
  }
  // 127.0.0.2-8 stand in for the machines of a cluster run on one machine (docs/scale-out.md), one loopback address each.
  for (let i = 1; i <= LOOPBACK_MACHINES; i++) altNames.push({ type: 7, ip: `127.0.0.${i}` });
  altNames.push({ type: 7, ip: '::1' });
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.pem };
}

/** Loopback addresses 127.0.0.1 to this one are in every generated server certificate. */
const LOOPBACK_MACHINES = 8;

function coversHost(certPem: string, hostName: string): boolean {
  const x509 = new X509Certificate(certPem);
  const valid = new Date(x509.validTo).getTime() > Date.now() + 7 * 24 * 3600 * 1000;
  const host = isIP(hostName) ? x509.checkIP(hostName) !== undefined : x509.checkHost(hostName) !== undefined;
  // A certificate made before the loopback machines were added is made again.
  return valid && host && x509.checkIP(`127.0.0.${LOOPBACK_MACHINES}`) !== undefined;
}

const ephemeral = new Map<string, TlsMaterial>();

/**
 * The hub's TLS material. With a directory: `ca.pem`, `ca-key.pem`, `server.pem` and `server-key.pem`
 * are made on first start and reused after (a new server certificate is made when the host name changes).
 * Without one (in-memory hubs), a fresh CA and certificate are made for this process.
 */
export function loadOrCreateCertificates(hostName: string, certDir?: string): TlsMaterial {
  if (!certDir) {
    // One CA per process and host name: embedded hubs in a test suite start fast and share one trust root.
    let material = ephemeral.get(hostName);
    if (!material) {
      const ca = makeCa();
      const server = makeServerCert(hostName, ca);
      material = { key: server.keyPem, cert: `${server.certPem}${ca.certPem}`, caPem: ca.certPem };
      ephemeral.set(hostName, material);
    }
    return material;
  }
  mkdirSync(certDir, { recursive: true });
  const paths = {
    ca: join(certDir, 'ca.pem'),
    caKey: join(certDir, 'ca-key.pem'),
    cert: join(certDir, 'server.pem'),
    key: join(certDir, 'server-key.pem'),
  };
  let ca: { certPem: string; keyPem: string };
  if (existsSync(paths.ca) && existsSync(paths.caKey)) {
    ca = { certPem: readFileSync(paths.ca, 'utf8'), keyPem: readFileSync(paths.caKey, 'utf8') };
  } else {
    ca = makeCa();
    writeWhole(paths.caKey, ca.keyPem, 0o600);
    writeWhole(paths.ca, ca.certPem);
  }
  if (!existsSync(paths.cert) || !existsSync(paths.key) || !coversHost(readFileSync(paths.cert, 'utf8'), hostName)) {
    const server = makeServerCert(hostName, ca);
    writeWhole(paths.key, server.keyPem, 0o600);
    writeWhole(paths.cert, `${server.certPem}${ca.certPem}`);
  }
  return { key: readFileSync(paths.key, 'utf8'), cert: readFileSync(paths.cert, 'utf8'), caPem: ca.certPem, caPath: paths.ca };
}

/**
 * Writes a file whole or not at all (a temporary file renamed into place): a disk that runs full
 * mid-write must not leave a torn PEM that every later start would trip over.
 */
function writeWhole(path: string, data: string, mode = 0o644): void {
  const tmp = `${path}.tmp`;
  try {
    writeFileSync(tmp, data, { mode });
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

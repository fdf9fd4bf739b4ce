// npm run bench [-- --smoke] [-- --only=fleet,query]: runs the benchmarks, writes bench/results.json and
// docs/benchmarks.md. Benchmarks measure the hub against its physical floor in the same run; they assert no
// timing. With --only, the sections of docs/benchmarks.md that did not run are kept as they were.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const smoke = process.argv.includes('--smoke');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const ALL = ['device-plane', 'faults', 'restart', 'query', 'jobs', 'controls', 'messaging', 'fleet', 'cluster'];
const modules = ALL.filter((m) => !only || only.split(',').includes(m));
const DOC = new URL('../docs/benchmarks.md', import.meta.url);

const sections = [];
for (const name of modules) {
  const path = fileURLToPath(new URL(`./${name}.mjs`, import.meta.url));
  if (!existsSync(path)) continue;
  process.stderr.write(`bench: ${name}${smoke ? ' (smoke)' : ''}...\n`);
  const { run } = await import(path);
  const started = performance.now();
  const loadBefore = loadavg()[0];
  const section = await run({ smoke });
  section.name = name;
  // The machine is shared: what else ran says how far to trust the absolute numbers.
  section.load = [loadBefore, loadavg()[0]].map((l) => Math.round(l * 10) / 10);
  section.seconds = Math.round((performance.now() - started) / 100) / 10;
  sections.push(section);
}

const date = new Date().toISOString();
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify({ date, smoke, machine, sections }, null, 2)}\n`);

const cell = (v) => (v === undefined || v === null || Number.isNaN(v) ? '' : String(v));

/** One section of docs/benchmarks.md; the marker comment is how a later --only run finds it again. */
function renderSection(s) {
  let md = `## ${s.title}\n<!-- bench:${s.name} -->\n\n`;
  if (s.intro) md += `${s.intro}\n\n`;
  md += '| measurement | hub | unit | floor | ratio | note |\n|---|---:|---|---:|---:|---|\n';
  for (const r of s.rows) md += `| ${r.name} | ${cell(r.value)} | ${r.unit} | ${cell(r.floor)} | ${cell(r.ratio)} | ${r.note ?? ''} |\n`;
  return `${md}\n(${s.seconds} s on ${date.slice(0, 10)}: ${machine}; load average ${s.load[0]} at the start, ${s.load[1]} at the end${smoke ? '; smoke size, the numbers mean little' : ''})\n\n`;
}

/** The sections of the existing page by their marker, in page order. */
function existingSections() {
  if (!existsSync(DOC)) return [];
  const chunks = readFileSync(DOC, 'utf8').split(/^(?=## )/m).slice(1);
  return chunks.map((text) => ({ name: /<!-- bench:([\w-]+) -->/.exec(text)?.[1], text })).filter((c) => c.name !== undefined);
}

// A partial run replaces its own sections and keeps the others where they were.
const fresh = new Map(sections.map((s) => [s.name, renderSection(s)]));
const kept = only ? existingSections() : [];
const ordered = ALL.filter((name) => fresh.has(name) || kept.some((c) => c.name === name)).map((name) => fresh.get(name) ?? kept.find((c) => c.name === name).text);

let md = '# Benchmarks\n\n';
md += 'Measured by `npm run bench`; each section says when, how long it took and on what machine.\n\n';
md += 'Absolute numbers on a shared 2-core machine are noise; each row compares the hub with its physical floor measured in the same run on the same machine, and the ratio is what to read.\n\n';
md += ordered.join('');
md += `## How to read and reproduce

- \`npm run bench\` runs full size (several minutes); \`npm run bench -- --smoke\` runs small and is what CI does. \`npm run bench -- --only=fleet,query\` runs some sections and keeps the others of this page as they were.
- \`node bench/<name>.mjs [--smoke]\` runs one benchmark and prints JSON.
- Each section's last line gives the machine's 1-minute load average when it started and ended: other sessions share these machines, and a loaded machine slows the simulated devices as much as the hub, which shows in the floor's own times.
- The device-plane floor is a bare aedes broker over the same TLS that answers the same topics with fixed payloads; the hub does authentication, twin rules, validation and persistence on top.
- \`node bench/compare-cpu.mjs <other-checkout>\` compares the hub's CPU time per twin GET and reported PATCH between two built checkouts (less noisy than round trips per second; see docs/device-plane.md).
- The fleet floor is that bare aedes broker (its own process, the same TLS with session resumption) doing a telemetry-config rollout's exchange with the same number of devices, driven by the same simulator machinery as \`hubemu fleet run\` (its device processes, models, connect pacing and recorder): it pushes the configuration's desired patch to every connected device, 500 at a time, and answers each reported patch (\`Pending\`, then \`Success\` after the model's 200 ms apply delay) with a 204 at once. Behind the hub's same exchange are the identities, the twins, the configuration's pass over every twin, validation, versions and the event stream. The rate is the PUBLISH packets both ways from the rollout's start (the hub's creation of the configuration; the floor's first push) to the last device's \`Success\` answer, over that window; both runs count them with the same recorder, and the ratio hub/floor is what to read (target at least 0.5). The apply delay is in both windows, so a ratio near 1 means the hub adds little to what the devices themselves take.
`;
if (!smoke || !existsSync(DOC)) writeFileSync(DOC, md);
process.stdout.write(md);

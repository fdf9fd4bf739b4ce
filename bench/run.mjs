// npm run bench [-- --smoke]: runs every benchmark, writes bench/results.json and docs/benchmarks.md.
// Benchmarks measure the hub against its physical floor in the same run; they assert no timing.
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const smoke = process.argv.includes('--smoke');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const modules = ['device-plane', 'restart', 'query', 'jobs', 'controls', 'fleet'].filter((m) => !only || only.split(',').includes(m));

const sections = [];
for (const name of modules) {
  const path = fileURLToPath(new URL(`./${name}.mjs`, import.meta.url));
  if (!existsSync(path)) continue;
  process.stderr.write(`bench: ${name}${smoke ? ' (smoke)' : ''}...\n`);
  const { run } = await import(path);
  const started = performance.now();
  const section = await run({ smoke });
  section.seconds = Math.round((performance.now() - started) / 100) / 10;
  sections.push(section);
}

const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const results = { date: new Date().toISOString(), smoke, machine, sections };
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);

const cell = (v) => (v === undefined || v === null || Number.isNaN(v) ? '' : String(v));
let md = `# Benchmarks\n\nMeasured by \`npm run bench\`${smoke ? ' at smoke size (CI proves the benchmarks run; the numbers mean little)' : ''} on ${results.date.slice(0, 10)}: ${machine}.\n\n`;
md += 'Absolute numbers on a shared 2-core machine are noise; each row compares the hub with its physical floor measured in the same run on the same machine, and the ratio is what to read.\n\n';
for (const s of sections) {
  md += `## ${s.title}\n\n| measurement | hub | unit | floor | ratio | note |\n|---|---:|---|---:|---:|---|\n`;
  for (const r of s.rows) md += `| ${r.name} | ${cell(r.value)} | ${r.unit} | ${cell(r.floor)} | ${cell(r.ratio)} | ${r.note ?? ''} |\n`;
  md += `\n(${s.seconds} s)\n\n`;
}
md += `## How to read and reproduce\n\n- \`npm run bench\` runs full size (a few minutes); \`npm run bench -- --smoke\` runs small and is what CI does.\n- \`node bench/<name>.mjs [--smoke]\` runs one benchmark and prints JSON.\n- The device-plane floor is a bare aedes broker over the same TLS that answers the same topics with fixed payloads; the hub does authentication, twin rules, validation and persistence on top.\n`;
if (!smoke || !existsSync(new URL('../docs/benchmarks.md', import.meta.url))) {
  writeFileSync(new URL('../docs/benchmarks.md', import.meta.url), md);
}
process.stdout.write(md);

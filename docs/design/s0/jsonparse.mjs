import { twin } from './lib.mjs';
const s = Array.from({ length: 1000 }, (_, i) => twin(i)); const m = new Map();
for (let round = 0; round < 3; round++) { const c0 = process.cpuUsage(); const N = 200000;
  for (let i = 0; i < N; i++) m.set('dev-' + (i % 50000), JSON.parse(s[i % 1000]));
  const c = process.cpuUsage(c0); console.log(JSON.stringify({ round, parseAndSetUsPerEntry: +((c.user + c.system) / N).toFixed(2), bytes: s[0].length })); }

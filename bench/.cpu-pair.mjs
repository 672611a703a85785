// ad-hoc: CPU us/request of the service for a few routes, interleaved (not committed)
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
const [pid, port, key] = process.argv.slice(2);
const cpu = () => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
const routes = {
  public: { method: 'GET', path: '/' },
  authed: { method: 'GET', path: '/v1/billing/key', headers: { 'x-api-key': key } },
  check: { method: 'POST', path: '/v1/billing/credits/check', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ oauth_provider: 'oauth:bench', external_id: 'user-1', context: { agent_id: 'a' } }) },
};
const sums = {};
for (let round = 0; round < 3; round++) for (const [name, r] of Object.entries(routes)) {
  const c0 = cpu();
  const res = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 20, duration: 3, requests: [r] });
  const us = ((cpu() - c0) * 1e6) / res.requests.total;
  (sums[name] ??= []).push(us);
  console.log(name, Math.round(res.requests.average), 'req/s', Math.round(us), 'us/req', 'non2xx', res.non2xx);
}
for (const [n, v] of Object.entries(sums)) console.log(n, 'median us/req', Math.round(v.sort((a, b) => a - b)[1]));

// Where the CPU goes: a V8 CPU profile (`.cpuprofile`, from `node --cpu-prof` or the bench's
// profiling pass) summarised by layer and by package, from each function's self time.
//
//   node bench/profile-summary.js /tmp/prof/CPU.20261201.123456.1234.0.001.cpuprofile [top]
//
// A function is attributed by where its code lives: node_modules/<package> (grouped into the
// request-path layers below), the service's own dist/<folder>, Node's internals (node:…), V8 natives
// by name (JSON.parse, writev…), and V8's own buckets ((garbage collector), (program)). "(idle)" is
// time the thread waited for I/O: it is listed but left out of the percentages, which are of CPU time.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Packages grouped by what they do on the request path. Unlisted packages keep their own name. */
const LAYERS = [
  [
    'express + router',
    [
      'express',
      'router',
      'path-to-regexp',
      'finalhandler',
      'send',
      'serve-static',
      'parseurl',
      'qs',
      'encodeurl',
      'escape-html',
      'on-finished',
      'ee-first',
      'fresh',
      'range-parser',
      'vary',
      'cookie',
      'cookie-signature',
      'proxy-addr',
      'forwarded',
      'ipaddr.js',
      'accepts',
      'negotiator',
      'mime-types',
      'mime-db',
      'statuses',
      'http-errors',
      'depd',
      'setprototypeof',
      'utils-merge',
      'merge-descriptors',
      'content-disposition',
      'etag',
      'media-typer',
    ],
  ],
  [
    'body parsing',
    ['body-parser', 'raw-body', 'type-is', 'content-type', 'iconv-lite', 'bytes', 'unpipe', 'safer-buffer'],
  ],
  [
    'nest',
    [
      '@nestjs/core',
      '@nestjs/common',
      '@nestjs/platform-express',
      'rxjs',
      'reflect-metadata',
      'iterare',
      'tslib',
      'uid',
      'fast-safe-stringify',
    ],
  ],
  ['passport', ['passport', '@nestjs/passport', 'passport-headerapikey', 'passport-strategy', 'pause', 'utils-merge']],
  ['validation', ['class-validator', 'class-transformer', 'validator', 'libphonenumber-js']],
  [
    'logging (pino)',
    [
      'pino',
      'pino-std-serializers',
      'sonic-boom',
      'fast-redact',
      'quick-format-unescaped',
      'atomic-sleep',
      'on-exit-leak-free',
      'thread-stream',
      'safe-stable-stringify',
      '@pinojs/redact',
    ],
  ],
  ['metrics (prom-client)', ['prom-client', 'tdigest', 'bintrees']],
  ['rate limiting', ['rate-limiter-flexible']],
  [
    'pg driver',
    [
      'pg',
      'pg-protocol',
      'pg-types',
      'pg-pool',
      'pg-connection-string',
      'postgres-array',
      'postgres-bytea',
      'postgres-date',
      'postgres-interval',
      'pg-int8',
      'pgpass',
      'split2',
      'buffer-writer',
      'packet-reader',
    ],
  ],
  ['typeorm', ['typeorm', '@nestjs/typeorm', 'app-root-path', 'dayjs', 'debug', 'ansis', 'sha.js']],
];
const LAYER_OF = new Map(LAYERS.flatMap(([layer, packages]) => packages.map((p) => [p, layer])));

/** Node internals that are the HTTP server and sockets (both servers pay these). */
const NODE_NET =
  /^node:(?:_http_|http|net|internal\/(?:http|stream_base_commons|js_stream_socket|net|streams\/|child_process)|stream|events|internal\/event_target)/;

/** The package (`pg`, `@nestjs/core`) or service folder (`service: billing`) a script URL belongs to. */
export function ownerOf(url, functionName) {
  if (!url) {
    if (/^\((?:garbage collector|program|idle|root)\)$/.test(functionName)) return functionName;
    return `native: ${functionName || '(anonymous)'}`;
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return url;
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) {
    const rest = url.slice(dist + '/dist/'.length).split('/');
    return `service: ${rest.length > 1 ? rest[0] : rest[0].replace(/\.js$/, '')}`;
  }
  return url.replace(/^file:\/\//, '');
}

/** A layer for an owner: the groups above, node:http/net, other node internals, V8 buckets, natives. */
export function layerOf(owner) {
  if (LAYER_OF.has(owner)) return LAYER_OF.get(owner);
  if (owner.startsWith('service: ')) return `service code (${owner.slice(9)})`;
  if (owner.startsWith('node:')) return NODE_NET.test(owner) ? 'node http/net/streams' : 'node (other internals)';
  if (owner.startsWith('native: ')) {
    const name = owner.slice(8);
    if (
      /^(?:writev|writeBuffer|writeUtf8String|writeLatin1String|writeAsciiString|shutdown|close|readStart|readStop|onStreamRead)$/.test(
        name,
      )
    ) {
      return 'socket I/O (native)';
    }
    if (/^JSON\.|^(?:parse|stringify)$/.test(name)) return 'JSON (native)';
    return 'other natives';
  }
  if (owner === '(garbage collector)') return 'garbage collection';
  return owner;
}

/**
 * Self time per owner and per layer, in µs, from a parsed `.cpuprofile`. `(idle)` is reported apart
 * (`idleUs`): the percentages are of the time the thread was running.
 */
export function summariseProfile(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  // The bench's profiler agent (stopping the profiler, serialising the profile) is not the service.
  const excluded = new Set();
  const exclude = (id) => {
    excluded.add(id);
    for (const child of nodes.get(id).children ?? []) exclude(child);
  };
  for (const n of profile.nodes)
    if (n.callFrame.url.endsWith('/cpu-profile-agent.js') && !excluded.has(n.id)) exclude(n.id);
  const selfUs = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample: the interval that ended in sample i.
    const dt = Math.max(timeDeltas[i] ?? 0, 0);
    if (excluded.has(samples[i])) continue;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + dt);
  }
  const byOwner = new Map();
  let idleUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { url, functionName } = nodes.get(id).callFrame;
    const owner = ownerOf(url, functionName);
    if (owner === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
  }
  const byLayer = new Map();
  for (const [owner, us] of byOwner) byLayer.set(layerOf(owner), (byLayer.get(layerOf(owner)) ?? 0) + us);
  const sorted = (m) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, us, share: busyUs ? us / busyUs : 0 }));
  return {
    busyUs,
    idleUs,
    wallUs: profile.endTime - profile.startTime,
    layers: sorted(byLayer),
    owners: sorted(byOwner),
  };
}

/** A few lines of text: the layers above 1 %, then the top packages/folders. */
export function formatSummary(summary, { top = 8, indent = '  ' } = {}) {
  const pct = (s) => `${(s * 100).toFixed(0)}%`;
  const layers = summary.layers.filter((l) => l.share >= 0.01).map((l) => `${l.name} ${pct(l.share)}`);
  const owners = summary.owners.slice(0, top).map((o) => `${o.name} ${pct(o.share)}`);
  const busy = summary.wallUs
    ? ` (thread busy ${pct(summary.busyUs / summary.wallUs)} of the ${(summary.wallUs / 1e6).toFixed(1)} s profiled)`
    : '';
  return [`${indent}by layer${busy}: ${layers.join(', ')}`, `${indent}top owners: ${owners.join(', ')}`].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/profile-summary.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  const summary = summariseProfile(JSON.parse(readFileSync(file, 'utf8')));
  const n = Number(top ?? 25);
  console.log(formatSummary(summary, { top: 10, indent: '' }));
  console.log('\nself time by layer:');
  for (const l of summary.layers) console.log(`  ${(l.share * 100).toFixed(1).padStart(5)}%  ${l.name}`);
  console.log(`\ntop ${n} by package / folder:`);
  for (const o of summary.owners.slice(0, n)) console.log(`  ${(o.share * 100).toFixed(1).padStart(5)}%  ${o.name}`);
}

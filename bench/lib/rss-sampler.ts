// Where a certpush process's memory goes, sampled from inside it. The service benchmarks load
// this file into each certpush process (`--import`) when CERTPUSH_BENCH_MEMORY_DIR is set:
//
//   CERTPUSH_BENCH_MEMORY_DIR=/tmp/mem npm run bench -- service
//
// Every 100 ms it reads process.memoryUsage() (the main isolate's heap, external memory and
// array buffers, and RSS) and keeps the peaks; once a second it appends one JSON line to
// DIR/memory-<pid>.jsonl with the SQLite threads' heaps and the resident memory by kind of
// mapping (/proc/self/smaps: V8's heap pages, malloc's main heap and arenas, the node binary),
// and at exit a line with the peaks and the process's CPU seconds. Reading smaps costs a few
// milliseconds a second; the peak the benchmark prints is the kernel's (VmHWM), not this.
import fs from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { Worker as WorkerType } from 'node:worker_threads';

/** The flags that load this sampler into a child process, or none when it is not asked for. */
export function memorySamplerFlags(): string[] {
  const dir = process.env.CERTPUSH_BENCH_MEMORY_DIR;
  return dir ? ['--import', `${import.meta.url.split('?')[0]}?dir=${encodeURIComponent(dir)}`] : [];
}

const MB = (bytes: number) => Math.round(bytes / 1048576);

/**
 * Resident kB by kind of mapping. V8 maps its heap in 256 KB pages; glibc's thread arenas are
 * 64 MB reservations; `[heap]` is the main malloc heap (brk); the rest of the anonymous memory
 * is large allocations, stacks and V8's large objects.
 */
function residentByKind(): Record<string, number> | null {
  let smaps: string;
  try {
    smaps = fs.readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return null;
  }
  const kinds: Record<string, number> = { v8Pages: 0, mallocBrk: 0, mallocArenas: 0, otherAnon: 0, nodeBinary: 0, otherFiles: 0 };
  let kind = 'otherAnon';
  for (const line of smaps.split('\n')) {
    const mapping = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const kb = (parseInt(mapping[2]!, 16) - parseInt(mapping[1]!, 16)) / 1024;
      const name = mapping[3]!;
      kind = name === '' ? (kb === 256 ? 'v8Pages' : kb >= 65536 ? 'mallocArenas' : 'otherAnon')
        : name === '[heap]' ? 'mallocBrk' : name === process.execPath || name.endsWith('/node') ? 'nodeBinary' : name.startsWith('[') ? 'otherAnon' : 'otherFiles';
    } else if (line.startsWith('Rss:')) kinds[kind]! += Number(line.split(/\s+/)[1]);
  }
  return Object.fromEntries(Object.entries(kinds).map(([k, kb]) => [k, Math.round(kb / 1024)]));
}

function startSampling(dir: string): void {
  // Every worker thread this process starts (the SQLite threads), to ask each for its heap.
  const threads: WorkerType[] = [];
  const workerThreads = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  const Base = workerThreads.Worker;
  workerThreads.Worker = class extends Base {
    constructor(...args: ConstructorParameters<typeof Base>) {
      super(...args);
      threads.push(this);
      this.once('exit', () => threads.splice(threads.indexOf(this), 1));
    }
  };
  syncBuiltinESMExports();

  fs.mkdirSync(dir, { recursive: true });
  const file = `${dir}/memory-${process.pid}.jsonl`;
  const started = Date.now();
  const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  let ticks = 0;
  const timer = setInterval(async () => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak) as Array<keyof typeof peak>) peak[k] = Math.max(peak[k], m[k]);
    if (++ticks % 10 !== 0) return;
    const threadHeaps: string[] = [];
    for (const thread of [...threads]) {
      try {
        const h = await thread.getHeapStatistics();
        threadHeaps.push(`${MB(h.total_heap_size)}/${MB(h.used_heap_size)}`);
      } catch { /* exiting */ }
    }
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    fs.appendFileSync(file, JSON.stringify({
      ms: Date.now() - started, argv: process.argv.slice(2).join(' '), rssMb: MB(m.rss), hwmMb: MB(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024),
      heapMb: `${MB(m.heapTotal)}/${MB(m.heapUsed)}`, externalMb: MB(m.external), arrayBuffersMb: MB(m.arrayBuffers),
      threadHeapsMb: threadHeaps.join(' '), residentMb: residentByKind(),
    }) + '\n');
  }, 100);
  timer.unref();
  process.on('exit', () => {
    const cpu = process.cpuUsage();
    fs.appendFileSync(file, JSON.stringify({ ms: Date.now() - started, peakMb: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, MB(v)])), cpuSeconds: (cpu.user + cpu.system) / 1e6 }) + '\n');
  });
}

const asked = new URL(import.meta.url).searchParams.get('dir');
if (asked) startSampling(asked);

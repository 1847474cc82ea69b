// How many connections wait in a listening socket's accept queue (the listen backlog): the
// kernel completes a client's TCP handshake before the server calls accept(), so a client
// cannot see this wait apart from its first answer. Linux shows it in /proc/net/tcp{,6}: for
// a socket in LISTEN state (st 0A), rx_queue is the number of connections not yet accepted.
import fs from 'node:fs';

const CHUNK = 4096;
const chunk = Buffer.alloc(CHUNK);

/**
 * The accept-queue length of the listening socket(s) on `port` now (0 when none waits).
 *
 * Only the start of each file is read: the kernel lists the listening sockets first (its
 * listening hash, then the established one), so reading stops at the first socket in another
 * state. Read whole, the file costs the kernel a line per socket of the machine: with the load
 * benchmark's ~800 sockets 7 ms for /proc/net/tcp and 5 more for tcp6, every 5 ms — the
 * driver's event loop was never free, and it took a core of the two from the server it
 * measured (until 2026-12-01 23:40; the load tables before that moment carry it). `family`:
 * the listening address's (4 for 127.0.0.1, 6 for ::1).
 */
export function acceptQueueLength(port: number, family: 4 | 6 = 4): number {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  // One family's file: the kernel fills a read of tcp6 by walking every socket for the few
  // IPv6 ones (5 ms with ~800 IPv4 sockets, even when it has none to show).
  let fd: number;
  try {
    fd = fs.openSync(family === 6 ? '/proc/net/tcp6' : '/proc/net/tcp', 'r');
  } catch {
    return 0;
  }
  let waiting = 0;
  try {
    let carry = '';
    let header = true;
    let listening = true;
    for (let position = 0; listening;) {
      const n = fs.readSync(fd, chunk, 0, CHUNK, position);
      if (n === 0) break;
      position += n;
      const lines = (carry + chunk.toString('latin1', 0, n)).split('\n');
      carry = lines.pop()!;
      for (const line of lines) {
        if (header) { header = false; continue; }
        // sl local_address rem_address st tx_queue:rx_queue …
        const fields = line.trim().split(/\s+/);
        if (fields[3] !== '0A') { listening = false; break; }
        if (fields[1]!.endsWith(hexPort)) waiting += parseInt(fields[4]!.split(':')[1]!, 16);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return waiting;
}

/**
 * Samples the accept queue every `everyMs` until stopped: the longest queue seen, and how long
 * any connection was waiting (samples with a non-empty queue × the interval).
 */
export function sampleAcceptQueue(port: number, family: 4 | 6 = 4, everyMs = 5): { stop(): { max: number; waitingMs: number } } {
  let max = 0;
  let nonEmpty = 0;
  const timer = setInterval(() => {
    const n = acceptQueueLength(port, family);
    max = Math.max(max, n);
    if (n > 0) nonEmpty++;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { max, waitingMs: nonEmpty * everyMs };
    },
  };
}

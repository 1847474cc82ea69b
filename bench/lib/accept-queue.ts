// How many connections wait in a listening socket's accept queue (the listen backlog): the
// kernel completes a client's TCP handshake before the server calls accept(), so a client
// cannot see this wait apart from its first answer. Linux shows it in /proc/net/tcp{,6}: for
// a socket in LISTEN state (st 0A), rx_queue is the number of connections not yet accepted.
import fs from 'node:fs';

/** The accept-queue length of the listening socket(s) on `port` now (0 when none waits). */
export function acceptQueueLength(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let waiting = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      // sl local_address rem_address st tx_queue:rx_queue …
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== '0A' || !fields[1]?.endsWith(`:${hexPort}`)) continue;
      waiting += parseInt(fields[4]!.split(':')[1]!, 16);
    }
  }
  return waiting;
}

/**
 * Samples the accept queue every `everyMs` until stopped: the longest queue seen, and how long
 * any connection was waiting (samples with a non-empty queue × the interval).
 */
export function sampleAcceptQueue(port: number, everyMs = 5): { stop(): { max: number; waitingMs: number } } {
  let max = 0;
  let nonEmpty = 0;
  const timer = setInterval(() => {
    const n = acceptQueueLength(port);
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

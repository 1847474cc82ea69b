/**
 * `npx certpush …` and `npm run …` start certpush as `npm → sh -c → node`. Stopping npm
 * (`kill <pid of npx>`, which is what `$!` holds after `npx certpush simulate apns … &`) makes
 * npm signal the shell, and Debian's dash exits without passing the signal on: certpush would run
 * on, orphaned, holding its port. So when npm started us, we watch our parent and stop as if we
 * had been sent SIGTERM when it goes away. A process started any other way (a service manager,
 * `nohup`) is never watched: there an orphaned certpush is what the operator asked for.
 */
export function stopWithNpmParent(intervalMs = 500): void {
  if (!process.env.npm_command) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, intervalMs);
  // Never the reason the process stays up: a one-shot command exits as soon as it is done.
  timer.unref();
}

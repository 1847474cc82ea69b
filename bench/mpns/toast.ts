// What both contenders send, and how they learn what the simulator saw.

/** The toast of the benchmark: three fields, one apostrophe, one ampersand. */
export const BENCH_TOAST = { text1: 'Build 4711 passed', text2: "Tom's deploy & tests are live", param: '/Build.xaml?id=4711' };

/** Subscriptions the notifications are spread over. */
export const BENCH_DEVICES = 1000;

/** The simulator's counters (from its HTTP status endpoint, on a connection of its own). */
export async function simulatorStats(httpUrl: string): Promise<{ connections: { https: number }; responses: Record<string, number> }> {
  const response = await fetch(`${httpUrl}/_simulator/stats`);
  return await response.json() as { connections: { https: number }; responses: Record<string, number> };
}

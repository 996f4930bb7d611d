/**
 * A trusted hospital context for tests that are about something else than risk: a site whose
 * networks include loopback (so the test client is on premises), an enrolled ward terminal whose
 * credential a test browser carries, and shifts that cover now. With all three a sign-in is
 * "trusted" and the default policy allows it; without them it is stepped up.
 */
import { createShifts } from '../../src/hospital/shifts.ts';
import { createSites } from '../../src/hospital/sites.ts';
import { createTerminals, TERMINAL_COOKIE } from '../../src/hospital/terminals.ts';
import type { Db } from '../../src/store/db.ts';

export const TEST_SITE = {
  id: 'test-general',
  name: 'Test General Hospital',
  timezone: 'Europe/London',
  country: 'GB',
  latitude: 51.5246,
  longitude: -0.134,
  networks: ['127.0.0.0/8', '::1/128'],
};

export function hospitalServices(db: Db, issuer: string) {
  const sites = createSites(db);
  const terminals = createTerminals(db, { issuer });
  const shifts = createShifts(db);
  return {
    sites,
    terminals,
    shifts,
    /** The test site (created once) and a newly enrolled terminal's credential. */
    async trustedTerminal(name = 'Ward 3 workstation'): Promise<string> {
      await sites.ensure(TEST_SITE);
      const pending = await terminals.create({ name, siteId: TEST_SITE.id, unit: 'Ward 3' });
      const token = pending.enrollmentUrl.split('/').pop()!;
      const enrolled = await terminals.enroll(token);
      return enrolled!.credential;
    },
    /** A shift at the test site from an hour ago to eight hours from now. */
    async onShiftNow(username: string, kind: 'scheduled' | 'on_call' = 'scheduled') {
      await sites.ensure(TEST_SITE);
      const now = Date.now();
      return shifts.add({ username, siteId: TEST_SITE.id, start: new Date(now - 3600_000).toISOString(), end: new Date(now + 8 * 3600_000).toISOString(), kind });
    },
  };
}

export { TERMINAL_COOKIE };

/**
 * The same trusted context for a Wardgate running in another process, set up the way IT would:
 * with the CLI, and by opening the terminal's enrollment link in the test browser.
 */
export async function trustedViaCli(
  env: Record<string, string>,
  browser: { origin: string; postForm(url: string, fields: Record<string, string>): Promise<unknown> },
  usernames: string[],
): Promise<void> {
  const { runWardgate } = await import('./process.ts');
  const run = async (args: string[]) => {
    const result = await runWardgate(args, env);
    if (result.code !== 0) throw new Error(`wardgate ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  };
  const sites = await run(['sites', 'list']);
  if (!sites.includes(`"${TEST_SITE.id}"`)) {
    await run(['sites', 'create', '--id', TEST_SITE.id, '--name', TEST_SITE.name, '--timezone', TEST_SITE.timezone, '--country', TEST_SITE.country, ...TEST_SITE.networks.flatMap((n) => ['--network', n])]);
  }
  const terminal = JSON.parse(await run(['terminals', 'create', '--name', 'Ward 3 workstation', '--site', TEST_SITE.id])) as { enrollmentUrl: string };
  await browser.postForm(browser.origin + new URL(terminal.enrollmentUrl).pathname, {});
  const now = Date.now();
  for (const username of usernames) {
    await run(['shifts', 'add', '--username', username, '--site', TEST_SITE.id, '--start', new Date(now - 3600_000).toISOString(), '--end', new Date(now + 8 * 3600_000).toISOString()]);
  }
}

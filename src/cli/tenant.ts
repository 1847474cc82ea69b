import fs from 'node:fs';
import type { Command } from 'commander';
import { describeMdmCert } from '../service/mdm-push-cert.ts';
import { createTenant, createTenantApiKey, listTenantApiKeys, requireTenant, revokeTenantApiKey } from '../service/tenants.ts';
import { printJson } from './io.ts';
import { apiKey, localStoreOptions, openLocalContext, remoteCaller, withAccess } from './tenant-access.ts';

/** What the operator commands print: the API's shapes, whichever way the data was reached. */
interface TenantView { id: string; name: string; createdAt: string; mdm: { state: string; topic: string | null }; devices: { total: number; invalid: number } }
interface KeyView { id: string; label: string; prefix: string; createdAt: string; revokedAt: string | null }

/** The operator's tenant and API-key operations, over HTTP (an operator key) or on the local data. */
interface OperatorAccess {
  createTenant(name: string): Promise<TenantView>;
  listTenants(): Promise<TenantView[]>;
  createKey(tenant: string, label: string): Promise<KeyView & { key: string }>;
  listKeys(tenant: string): Promise<KeyView[]>;
  revokeKey(tenant: string, keyId: string): Promise<void>;
  close(): Promise<void>;
}

interface Where { server?: string; apiKeyFile?: string; dataDir?: string; databaseUrl?: string }

async function openOperatorAccess(where: Where): Promise<OperatorAccess> {
  if (where.server) {
    const call = remoteCaller(where.server, apiKey(where));
    const keys = (tenant: string) => `/v1/tenants/${encodeURIComponent(tenant)}/api-keys`;
    return {
      createTenant: async (name) => await call('POST', '/v1/tenants', { name }) as unknown as TenantView,
      listTenants: async () => (await call('GET', '/v1/tenants')).items as TenantView[],
      createKey: async (tenant, label) => await call('POST', keys(tenant), { label }) as unknown as KeyView & { key: string },
      listKeys: async (tenant) => (await call('GET', keys(tenant))).items as KeyView[],
      revokeKey: async (tenant, keyId) => { await call('DELETE', `${keys(tenant)}/${encodeURIComponent(keyId)}`); },
      close: async () => {},
    };
  }
  const ctx = await openLocalContext(where);
  const actor = { kind: 'cli' as const };
  const iso = (ms: number) => new Date(ms).toISOString();
  const view = async (tenant: Awaited<ReturnType<typeof requireTenant>>): Promise<TenantView> => {
    const mdm = describeMdmCert(await ctx.store.mdmCerts.get(tenant.id), ctx.now());
    return { id: tenant.id, name: tenant.name, createdAt: iso(tenant.createdAt), mdm: { state: mdm.state, topic: mdm.topic }, devices: await ctx.store.devices.count(tenant.id) };
  };
  return {
    createTenant: async (name) => view(await createTenant(ctx, actor, name)),
    listTenants: async () => Promise.all((await ctx.store.tenants.list()).map(view)),
    createKey: async (tenant, label) => {
      const { key, record } = await createTenantApiKey(ctx, actor, tenant, label);
      return { key, id: record.id, label: record.label, prefix: record.prefix, createdAt: iso(record.createdAt), revokedAt: null };
    },
    listKeys: async (tenant) => (await listTenantApiKeys(ctx, tenant)).map((k) => ({
      id: k.id, label: k.label, prefix: k.prefix, createdAt: iso(k.createdAt), revokedAt: k.revokedAt === null ? null : iso(k.revokedAt),
    })),
    revokeKey: (tenant, keyId) => revokeTenantApiKey(ctx, actor, tenant, keyId),
    close: () => ctx.store.close(),
  };
}

function withOperator<T>(where: Where, run: (access: OperatorAccess) => Promise<T>): Promise<T> {
  return withAccess(openOperatorAccess(where), run);
}

/** `--server`/`--api-key-file` or `--data-dir`/`--database-url`, as the `mdm` customer commands take them. */
function whereOptions(command: Command): Command {
  return localStoreOptions(command
    .option('--server <url>', 'a running certpush (give this or --data-dir)')
    .option('--api-key-file <file>', 'an operator API key for --server (or CERTPUSH_API_KEY); a tenant key can list its own tenant and keys, and revoke its keys'));
}

/** A table of rows, columns padded to their widest cell. */
function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}\n`);
}

export function registerTenant(program: Command): void {
  const tenant = program.command('tenant').description('Operator tasks: create and list tenants, and their API keys (the same as the API\'s /v1/tenants, over --server or on the local data).');

  whereOptions(tenant.command('create').description('Create a tenant; prints its id. Next: `certpush tenant api-key create --tenant ID` for its first key.'))
    .requiredOption('--name <name>', 'the tenant\'s name (1–100 letters, digits, spaces and . _ \' & ( ) -), unique')
    .option('--json', 'print JSON')
    .action(async (opts: Where & { name: string; json?: boolean }) => {
      const created = await withOperator(opts, (access) => access.createTenant(opts.name));
      if (opts.json) return printJson(created);
      process.stdout.write(`${created.id}\n`);
      process.stderr.write(`Created tenant "${created.name}" (${created.id}). Next: certpush tenant api-key create --tenant ${created.id}\n`);
    });

  whereOptions(tenant.command('list').description('List tenants: id, name, MDM certificate state, devices.'))
    .option('--json', 'print JSON')
    .action(async (opts: Where & { json?: boolean }) => {
      const tenants = await withOperator(opts, (access) => access.listTenants());
      if (opts.json) return printJson(tenants);
      if (tenants.length === 0) return void process.stderr.write('No tenants yet. Create one: certpush tenant create --name NAME\n');
      printTable([['ID', 'NAME', 'MDM', 'DEVICES', 'CREATED'], ...tenants.map((t) => [t.id, t.name, t.mdm.state, String(t.devices.total), t.createdAt])]);
    });

  const keys = tenant.command('api-key').description('A tenant\'s API keys: create (shown once), list, revoke.');

  whereOptions(keys.command('create').description('Create an API key for a tenant. The key is printed once (or written to --out, mode 0600) and never stored: only its hash is.'))
    .requiredOption('--tenant <id>', 'the tenant (ten_…)')
    .option('--label <label>', 'what the key is for, shown in lists', 'api key')
    .option('--out <file>', 'write the key to this file (mode 0600) instead of stdout')
    .option('--json', 'print JSON (the key included unless --out is given)')
    .action(async (opts: Where & { tenant: string; label: string; out?: string; json?: boolean }) => {
      const created = await withOperator(opts, (access) => access.createKey(opts.tenant, opts.label));
      const { key, ...record } = created;
      // The file is created with the mode, so the key is never readable by others, not even briefly.
      if (opts.out) fs.writeFileSync(opts.out, `${key}\n`, { mode: 0o600, flag: 'w' });
      if (opts.json) return printJson(opts.out ? record : created);
      if (!opts.out) process.stdout.write(`${key}\n`);
      process.stderr.write(`Created API key ${record.id} ("${record.label}") for tenant ${opts.tenant}${opts.out ? `, written to ${opts.out}` : ''}. It is shown this once; revoke it with certpush tenant api-key revoke --tenant ${opts.tenant} ${record.id}\n`);
    });

  whereOptions(keys.command('list').description('List a tenant\'s API keys, revoked ones too: id, label, prefix, dates (never the key).'))
    .requiredOption('--tenant <id>', 'the tenant (ten_…)')
    .option('--json', 'print JSON')
    .action(async (opts: Where & { tenant: string; json?: boolean }) => {
      const list = await withOperator(opts, (access) => access.listKeys(opts.tenant));
      if (opts.json) return printJson(list);
      if (list.length === 0) return void process.stderr.write(`Tenant ${opts.tenant} has no API keys. Create one: certpush tenant api-key create --tenant ${opts.tenant}\n`);
      printTable([['ID', 'LABEL', 'PREFIX', 'CREATED', 'REVOKED'], ...list.map((k) => [k.id, k.label, k.prefix, k.createdAt, k.revokedAt ?? '-'])]);
    });

  whereOptions(keys.command('revoke').description('Revoke a tenant\'s API key: a running certpush refuses it within a second.'))
    .argument('<key-id>', 'the key\'s id (key_…), from `certpush tenant api-key list`')
    .requiredOption('--tenant <id>', 'the tenant (ten_…)')
    .action(async (keyId: string, opts: Where & { tenant: string }) => {
      await withOperator(opts, (access) => access.revokeKey(opts.tenant, keyId));
      process.stderr.write(`Revoked API key ${keyId} of tenant ${opts.tenant}.\n`);
    });
}

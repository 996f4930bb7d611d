/**
 * A unit of work on a real database: the change and its audit entry made inside one commit
 * together or not at all, however deep in the services they are written, and nothing outside it
 * is held back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../../src/audit/log.ts';
import { createDb, type Db } from '../../../src/store/db.ts';
import { migrateLatest } from '../../../src/store/migrate.ts';
import { inTransaction, inUnitOfWork } from '../../../src/store/unit-of-work.ts';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../../helpers/database.ts';

describe.skipIf(databaseUnavailable())('unit of work', () => {
  let database: TestDatabase;
  let db: Db;

  beforeEach(async () => {
    database = await createTestDatabase();
    db = createDb(database.kind === 'postgres' ? { client: 'pg', url: database.url } : { client: 'sqlite', filename: database.url.slice('sqlite:'.length) });
    await migrateLatest(db);
  });
  afterEach(async () => {
    await db.destroy();
    await database.drop();
  });

  const site = (id: string) => ({ id, name: id, timezone: 'Europe/London', country: 'GB', latitude: null, longitude: null, created_at: 0, updated_at: 0 });
  const sites = async () => (await db('sites').select('id').orderBy('id')).map((r) => r.id);
  const auditTypes = async () => (await db('audit_log').select('type').orderBy('id')).map((r) => r.type);

  it('commits a change and its audit entry together', async () => {
    const audit = createAuditLog(db);
    await inTransaction(db, async () => {
      expect(inUnitOfWork(db)).toBe(true);
      await db('sites').insert(site('north'));
      await audit.append({ type: 'test.site.create', data: { id: 'north' } });
    });
    expect(inUnitOfWork(db)).toBe(false);
    expect(await sites()).toEqual(['north']);
    expect(await auditTypes()).toEqual(['test.site.create']);
    expect(await audit.verify()).toMatchObject({ valid: true, checked: 1 });
  });

  it('leaves neither the change nor its entry when the work fails after both were written', async () => {
    const audit = createAuditLog(db);
    await expect(
      inTransaction(db, async () => {
        await db('sites').insert(site('south'));
        await audit.append({ type: 'test.site.create', data: { id: 'south' } });
        throw new Error('the process died here');
      }),
    ).rejects.toThrow('the process died here');
    expect(await sites()).toEqual([]);
    expect(await auditTypes()).toEqual([]);
  });

  it('joins an outer unit instead of committing on its own', async () => {
    await expect(
      inTransaction(db, async () => {
        await inTransaction(db, async () => {
          await db('sites').insert(site('east'));
        });
        throw new Error('outer work failed');
      }),
    ).rejects.toThrow('outer work failed');
    expect(await sites()).toEqual([]);
  });

  it('keeps work that runs alongside, outside the unit, out of it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const unit = inTransaction(db, async () => {
      await db('sites').insert(site('west'));
      await held;
      throw new Error('rolled back');
    });
    // Outside the unit (on SQLite this waits for the single connection, so start it and release first).
    const outside = (async () => {
      await Promise.resolve();
      expect(inUnitOfWork(db)).toBe(false);
    })();
    await outside;
    release();
    await expect(unit).rejects.toThrow('rolled back');
    await db('sites').insert(site('west'));
    expect(await sites()).toEqual(['west']);
  });
});

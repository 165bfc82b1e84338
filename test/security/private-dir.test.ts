import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ensurePrivateDir, tightenOwnFile, UnsafeDirectoryError } from '../../src/security/private-dir';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'private-dir-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const modeOf = (p: string) => fs.statSync(p).mode & 0o777;
const options = { what: 'data folder', elsewhere: '--data-dir', tightenExisting: true };

describe('ensurePrivateDir with tightenExisting (the data folder of `up`)', () => {
  it('tightens a real folder of ours, leaves a symlinked one as it is and says so', () => {
    const own = path.join(tmp, 'own');
    fs.mkdirSync(own);
    fs.chmodSync(own, 0o755);
    assert.equal(ensurePrivateDir(own, options), 'tightened');
    assert.equal(modeOf(own), 0o700);
    assert.equal(ensurePrivateDir(own, options), 'kept');

    const real = path.join(tmp, 'real');
    fs.mkdirSync(real);
    fs.chmodSync(real, 0o750);
    const link = path.join(tmp, 'link');
    fs.symlinkSync(real, link);
    assert.equal(ensurePrivateDir(link, options), 'left-open');
    assert.equal(modeOf(real), 0o750);
  });

  it('refuses a group-writable folder even with tightenExisting: files may already be planted', () => {
    const shared = path.join(tmp, 'shared');
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o775);
    assert.throws(() => ensurePrivateDir(shared, options), UnsafeDirectoryError);
    assert.equal(modeOf(shared), 0o775);
  });
});

describe('tightenOwnFile (files an earlier `up` left 0644)', () => {
  it('makes an existing file of ours 0600, ignores a missing one, never follows a symlink', () => {
    const file = path.join(tmp, 'temporal.db');
    fs.writeFileSync(file, 'x');
    fs.chmodSync(file, 0o644);
    tightenOwnFile(file);
    assert.equal(modeOf(file), 0o600);
    tightenOwnFile(path.join(tmp, 'missing.db'));

    const elsewhere = path.join(tmp, 'elsewhere.txt');
    fs.writeFileSync(elsewhere, 'y');
    fs.chmodSync(elsewhere, 0o644);
    const link = path.join(tmp, 'temporal.log');
    fs.symlinkSync(elsewhere, link);
    tightenOwnFile(link);
    assert.equal(modeOf(elsewhere), 0o644);
  });
});

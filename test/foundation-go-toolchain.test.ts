/**
 * .ci/go-toolchain on a machine whose Go predates GOTOOLCHAIN=auto (Debian's 1.19): it must fetch the newer
 * toolchain as the Go module golang.org/toolchain through the configured GOPROXY and put its bin/go first
 * on PATH. Simulated offline: an "old" go (a wrapper around the real one that reports 1.19) and a file://
 * module proxy holding a tiny stand-in toolchain, so no download and no registry host are involved.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32 } from 'node:zlib';
import { after, describe, it } from 'node:test';

const SCRIPT = join(__dirname, '../.ci/go-toolchain');
const VERSION = '1.25.4';

function realGo(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** A zip with stored (uncompressed) entries and no permission bits, like a module zip. */
function storedZip(entries: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const data = Buffer.from(text);
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

describe('.ci/go-toolchain', { skip: realGo() ? false : 'no go on PATH to stand in for the old one' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'go-toolchain-'));
  after(() => {
    // The module cache is read-only by design; make it deletable first.
    spawnSync('chmod', ['-R', 'u+w', dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('fetches a newer toolchain through GOPROXY when the Go on PATH is older than 1.21', () => {
    const goBin = realGo()!;
    const goos = execFileSync(goBin, ['env', 'GOOS'], { encoding: 'utf8' }).trim();
    const goarch = execFileSync(goBin, ['env', 'GOARCH'], { encoding: 'utf8' }).trim();
    const version = `v0.0.1-go${VERSION}.${goos}-${goarch}`;

    const proxyDir = join(dir, 'proxy', 'golang.org', 'toolchain', '@v');
    mkdirSync(proxyDir, { recursive: true });
    writeFileSync(join(proxyDir, 'list'), `${version}\n`);
    writeFileSync(join(proxyDir, `${version}.info`), JSON.stringify({ Version: version }));
    writeFileSync(join(proxyDir, `${version}.mod`), 'module golang.org/toolchain\n');
    const prefix = `golang.org/toolchain@${version}/`;
    writeFileSync(
      join(proxyDir, `${version}.zip`),
      storedZip({
        [`${prefix}go.mod`]: 'module golang.org/toolchain\n',
        [`${prefix}bin/go`]: `#!/bin/sh\necho "go version go${VERSION} ${goos}/${goarch} (stand-in)"\n`,
      }),
    );

    const oldGoDir = join(dir, 'old-go');
    mkdirSync(oldGoDir);
    writeFileSync(
      join(oldGoDir, 'go'),
      `#!/bin/sh\nif [ "$1" = version ]; then echo "go version go1.19.8 ${goos}/${goarch}"; exit 0; fi\nexec "${goBin}" "$@"\n`,
    );
    chmodSync(join(oldGoDir, 'go'), 0o755);

    const result = spawnSync('bash', [SCRIPT], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        PATH: `${oldGoDir}:${process.env.PATH ?? ''}`,
        GOPROXY: pathToFileURL(join(dir, 'proxy')).href,
        GOSUMDB: 'off',
        GOMODCACHE: join(dir, 'modcache'),
        GOFLAGS: '',
        // The wrapper's real Go must not switch toolchains itself; the script decides.
        GOTOOLCHAIN: 'local',
      },
    });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /go1\.19\.8 predates GOTOOLCHAIN=auto/);
    assert.match(result.stdout, new RegExp(`go version go${VERSION.replace(/\./g, '\\.')} .*\\(stand-in\\)`));
  });

  it('leaves a Go of 1.21 or newer alone', () => {
    const result = spawnSync('bash', [SCRIPT], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /fetching/);
    assert.doesNotMatch(result.stdout, /stand-in/);
  });
});

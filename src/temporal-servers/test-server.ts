import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serverCacheDir } from './cache-dir';
import { findOnPath, isExecutableFile, publishDirectory, runBuildStep } from './executables';
import type { ProvidedServer } from './temporal-cli';

/** The Java SDK's in-memory, time-skipping test server, the same server the TS SDK would download natively built. */
export const TEST_SERVER_VERSION = '1.38.0';
const TEST_SERVER_ARTIFACT = { groupId: 'io.temporal', artifactId: 'temporal-test-server' };
const COMPLETE_MARKER = '.complete';

export function testServerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(serverCacheDir(env), `temporal-test-server-${TEST_SERVER_VERSION}`);
}

function pomFor(version: string): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>marketo-api-users</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>${TEST_SERVER_ARTIFACT.groupId}</groupId>
      <artifactId>${TEST_SERVER_ARTIFACT.artifactId}</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
</project>
`;
}

// `exec` so the SDK's kill on teardown reaches the JVM itself and leaves no orphan behind.
const WRAPPER = `#!/bin/sh
# Runs Temporal's time-skipping test server from the jars beside this script. The SDK passes the port first.
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
exec java \${TEMPORAL_TEST_SERVER_JAVA_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto} -cp "$here/lib/*" io.temporal.testserver.TestServer "$@"
`;

export function ensureTestServer(env: NodeJS.ProcessEnv = process.env): ProvidedServer {
  const fromEnv = env.TEMPORAL_TEST_SERVER_PATH;
  if (fromEnv) {
    if (!isExecutableFile(fromEnv)) {
      throw new Error(
        `TEMPORAL_TEST_SERVER_PATH=${fromEnv} is not an executable file. Fix the path or unset it.`,
      );
    }
    return { kind: 'existing-path', path: fromEnv, source: 'env' };
  }
  const finalDir = testServerCacheDir(env);
  const wrapper = path.join(finalDir, 'temporal-test-server');
  if (fs.existsSync(path.join(finalDir, COMPLETE_MARKER)) && isExecutableFile(wrapper)) {
    return { kind: 'existing-path', path: wrapper, source: 'cache', version: TEST_SERVER_VERSION };
  }

  const java = findOnPath('java', env);
  const mvn = findOnPath('mvn', env);
  if (!java || !mvn) {
    return {
      kind: 'sdk-download',
      reason: `no ${!java ? 'java' : 'mvn'} on PATH to fetch the test server from Maven Central`,
    };
  }

  const tmpDir = `${finalDir}.tmp-${process.pid}`;
  const pomDir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-test-server-pom-'));
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(tmpDir, 'lib'), { recursive: true });
  process.stderr.write(
    `Fetching temporal-test-server ${TEST_SERVER_VERSION} with Maven (first run only)...\n`,
  );
  try {
    fs.writeFileSync(path.join(pomDir, 'pom.xml'), pomFor(TEST_SERVER_VERSION));
    runBuildStep(
      mvn,
      [
        '-B',
        '-q',
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${path.join(tmpDir, 'lib')}`,
      ],
      { cwd: pomDir },
    );
    fs.writeFileSync(path.join(tmpDir, 'temporal-test-server'), WRAPPER, { mode: 0o755 });
    fs.writeFileSync(path.join(tmpDir, COMPLETE_MARKER), `${TEST_SERVER_VERSION}\n`);
  } catch (error) {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    throw new Error(
      `Could not fetch the Temporal test server with Maven: ${(error as Error).message}. ` +
        'Check that Maven Central is reachable, or set TEMPORAL_TEST_SERVER_PATH to an existing test server.',
    );
  } finally {
    fs.rmSync(pomDir, { recursive: true, force: true });
  }
  publishDirectory(tmpDir, finalDir);
  return { kind: 'existing-path', path: wrapper, source: 'built', version: TEST_SERVER_VERSION };
}

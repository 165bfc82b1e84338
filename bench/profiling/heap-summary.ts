/**
 * Summarises a V8 heap snapshot (from memory.ts --snapshot): self size and count per node type and name, largest
 * first. Enough to see what fills a workflow thread's heap without opening DevTools.
 *
 *   npx tsx bench/profiling/heap-summary.ts bench/profiling/snapshots/thread-1.heapsnapshot [top]
 */
import fs from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] }; node_count: number };
  nodes: number[];
  strings: string[];
}

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: heap-summary.ts <file.heapsnapshot> [top]');
  const top = Number(process.argv[3] ?? 40);
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const byKey = new Map<string, { count: number; bytes: number }>();
  const byType = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!] ?? '?';
    const rawName = snap.strings[snap.nodes[i + nameAt]!] ?? '';
    // Strings and numbers are named by their content: group them by type only.
    const name =
      type === 'string' || type === 'number' || type === 'concatenated string' ? '' : rawName.slice(0, 60);
    const bytes = snap.nodes[i + sizeAt]!;
    total += bytes;
    for (const [map, key] of [
      [byKey, `${type} ${name}`],
      [byType, type],
    ] as const) {
      const entry = map.get(key) ?? { count: 0, bytes: 0 };
      entry.count += 1;
      entry.bytes += bytes;
      map.set(key, entry);
    }
  }
  const mib = (b: number) => (b / 2 ** 20).toFixed(1).padStart(8);
  const print = (title: string, map: Map<string, { count: number; bytes: number }>, n: number) => {
    process.stdout.write(`\n${title}\n     MiB    count  key\n`);
    for (const [key, { count, bytes }] of [...map].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, n)) {
      process.stdout.write(`${mib(bytes)} ${String(count).padStart(8)}  ${key}\n`);
    }
  };
  process.stdout.write(`${file}: ${mib(total)} MiB in ${snap.snapshot.node_count} nodes\n`);
  print('by type', byType, 20);
  print('by type and name', byKey, top);
}

main();

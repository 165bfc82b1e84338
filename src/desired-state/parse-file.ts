/**
 * Reading a desired-state file (YAML, or JSON, which YAML 1.2 contains): every problem at once, each as
 * `file:line:column field: problem`, so a reviewer finds it in the pull request without running anything.
 */
import fs from 'node:fs';
import { isMap, isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { DesiredStateFileError } from '../errors';
import { crossFieldProblems, type RawProblem } from './file-problems';
import { desiredStateFileSchema, type DesiredStateFile } from './file-schema';

/** Far above a thousand users; a larger file is a mistake (a log, a binary), refused before parsing. */
export const MAX_FILE_BYTES = 1024 * 1024;

export interface ParsedDesiredState {
  /** The name problems are reported under: the path as given. */
  source: string;
  file: DesiredStateFile;
  /** `file:line:column field` of a path in the document, for problems found after parsing (the plan's). */
  locate(path: (string | number)[]): string;
}

interface RawProblemAt {
  at: Position;
  field: string;
  message: string;
}

/** `users[0].role.permissions[1]`: a path as a person reads it in the file. */
export function fieldName(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path)
    text += typeof part === 'number' ? `[${part}]` : `${text ? '.' : ''}${String(part)}`;
  return text || '(file)';
}

interface Position {
  line: number;
  col: number;
}
type Locator = (path: (string | number)[], key?: string) => Position;

function locator(doc: Document, lines: LineCounter): Locator {
  return (path, key) => {
    for (let depth = path.length; depth >= 0; depth--) {
      let node = doc.getIn(path.slice(0, depth), true);
      if (key !== undefined && depth === path.length && isMap(node)) {
        node = node.items.find((pair) => isNode(pair.key) && pair.key.toJSON() === key)?.key ?? node;
      }
      if (isNode(node) && node.range) {
        return lines.linePos(node.range[0]);
      }
    }
    return { line: 1, col: 1 };
  };
}

function schemaProblems(issues: z.core.$ZodIssue[], locate: Locator): RawProblemAt[] {
  return issues.flatMap((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        at: locate(path, key),
        field: fieldName([...path, key]),
        message: 'is not a field of this file; check its spelling',
      }));
    }
    return [{ at: locate(path), field: fieldName(path), message: issue.message }];
  });
}

function located(problems: RawProblem[], locate: Locator): RawProblemAt[] {
  return problems.map((p) => ({ at: locate(p.path), field: fieldName(p.path), message: p.message }));
}

/** Parses `text` read from `source`; DesiredStateFileError with every problem when it is not a valid file. */
export function parseDesiredState(text: string, source: string): ParsedDesiredState {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new DesiredStateFileError(
      doc.errors.map((e) => {
        const { line: l, col } = lines.linePos(e.pos[0]);
        return `${source}:${l}:${col} (file): ${e.message.split('\n')[0]} (not valid YAML or JSON)`;
      }),
    );
  }
  const locate = locator(doc, lines);
  const where = ({ line, col }: Position) => `${source}:${line}:${col}`;
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  const parsed = desiredStateFileSchema.safeParse(raw);
  const found = [
    ...(parsed.success ? [] : schemaProblems(parsed.error.issues, locate)),
    ...located(crossFieldProblems(raw), locate),
  ]
    .sort((a, b) => a.at.line - b.at.line || a.at.col - b.at.col)
    .map((p) => `${where(p.at)} ${p.field}: ${p.message}`);
  if (found.length || !parsed.success) throw new DesiredStateFileError([...new Set(found)]);
  return { source, file: parsed.data, locate: (path) => `${where(locate(path))} ${fieldName(path)}` };
}

/** Reads and parses the file at `filePath`, refusing one too large or unreadable with a clear problem. */
export function readDesiredState(filePath: string): ParsedDesiredState {
  let text: string;
  try {
    const size = fs.statSync(filePath).size;
    if (size > MAX_FILE_BYTES) {
      throw new DesiredStateFileError([
        `${filePath}:1:1 (file): is ${size} bytes; at most ${MAX_FILE_BYTES}`,
      ]);
    }
    text = fs.readFileSync(filePath, 'utf8');
  } catch (error) {
    if (error instanceof DesiredStateFileError) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new DesiredStateFileError([`${filePath}:1:1 (file): cannot be read (${reason})`]);
  }
  return parseDesiredState(text, filePath);
}

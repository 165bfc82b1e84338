/** A strict RFC 4180 reader for the tests: what a spreadsheet would read the report's CSV as. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') {
      if (field !== '') throw new Error(`a quote inside an unquoted field at ${i}`);
      quoted = true;
    } else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else if (char === '\n' || char === '\r') {
      throw new Error(`a bare line break outside quotes at ${i}`);
    } else field += char;
  }
  if (quoted) throw new Error('an unterminated quoted field');
  if (field !== '' || record.length) throw new Error('the last record has no CRLF');
  return records;
}

/**
 * One line of CSV (RFC 4180, without line breaks inside quoted fields):
 * fields split on commas, a field in double quotes may hold commas, and `""`
 * inside quotes is one quote. Returns the fields, or a reason it cannot be
 * read (an unclosed quote, text after a closing quote).
 */
export function parseCsvLine(line: string): string[] | { readonly problem: string } {
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    if (line[at] === '"') {
      let field = "";
      at++;
      for (;;) {
        const quote = line.indexOf('"', at);
        if (quote < 0) return { problem: "a quoted field is not closed" };
        field += line.slice(at, quote);
        if (line[quote + 1] === '"') {
          field += '"';
          at = quote + 2;
          continue;
        }
        at = quote + 1;
        break;
      }
      fields.push(field);
      if (at === line.length) return fields;
      if (line[at] !== ",") return { problem: `text after a quoted field, at column ${at + 1}` };
      at++;
    } else {
      const comma = line.indexOf(",", at);
      if (comma < 0) {
        fields.push(line.slice(at));
        return fields;
      }
      fields.push(line.slice(at, comma));
      at = comma + 1;
    }
  }
}

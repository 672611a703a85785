import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/*
 * Every SQL text lives in a `sql/` folder (`src/<feature>/sql/*.sql.ts`): repositories import the
 * statements and run them. This spec fails when a file elsewhere under src/ holds one again:
 *  - a string or template literal (or any literal piece of a template) that starts with an SQL
 *    statement keyword, written in upper case as every statement here is;
 *  - a `.query(…)` call whose SQL is written in place (a literal of any case).
 * Specs are not checked (a test may describe a failing statement); migrations/ are outside src/.
 */

const SRC = join(process.cwd(), 'src');

const STATEMENT_START =
  /^\s*(SELECT\s|INSERT\s+INTO\s|UPDATE\s+\S+\s+(AS\s+\S+\s+)?SET\s|DELETE\s+FROM\s|WITH\s+(RECURSIVE\s+)?\S+\s+AS\b|SET\s+(LOCAL|TRANSACTION|SESSION)\s|(LISTEN|NOTIFY|CREATE|ALTER|DROP|TRUNCATE)\s|(BEGIN|COMMIT|ROLLBACK)\s*;?\s*$)/;

export interface SqlFinding {
  line: number;
  text: string;
}

function literalPieces(node: ts.Node): string[] {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
  if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((s) => s.literal.text)];
  return [];
}

/** The SQL texts written in `source` (see the file comment for what counts). */
export function findInlineSql(fileName: string, source: string): SqlFinding[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const findings: SqlFinding[] = [];
  const report = (node: ts.Node, text: string): void => {
    findings.push({
      line: file.getLineAndCharacterOfPosition(node.getStart()).line + 1,
      text: text.trim().slice(0, 60),
    });
  };
  const visit = (node: ts.Node): void => {
    const sqlPiece = literalPieces(node).find((piece) => STATEMENT_START.test(piece));
    if (sqlPiece !== undefined) report(node, sqlPiece);
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'query' &&
      node.arguments.length > 0 &&
      literalPieces(node.arguments[0]).length > 0 &&
      !literalPieces(node.arguments[0]).some((piece) => STATEMENT_START.test(piece))
    ) {
      report(node, node.arguments[0].getText());
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return findings;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'sql' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('SQL location', () => {
  it('finds the SQL it is meant to find (the check itself works)', () => {
    const samples = [
      'await this.db.query(`SELECT * FROM accounts WHERE id = $1`, [id]);',
      "await manager.query('delete from holds where id = $1', [id]);",
      'const sql = `\n  WITH acct AS (SELECT 1) SELECT * FROM acct`;',
      "const q = `UPDATE accounts SET status = 'closed' WHERE id = $1`;",
      'const t = `SELECT ${COLUMNS} FROM admin_users`;',
      "client.query('BEGIN');",
      "await m.query(`SET LOCAL work_mem = '64MB'`);",
      "const n = 'INSERT INTO credits (id) VALUES ($1)';",
      'const where = `a.status = $1`; await this.db.query(`${where}`, []);',
      'const p = `x ${a} DELETE FROM charges WHERE id = $1`;',
      'await this.keys.query(`UPDATE api_keys AS k\n SET last_used_at = now() WHERE k.id = $1`, [id]);',
    ];
    for (const sample of samples) expect([sample, findInlineSql('sample.ts', sample).length]).toEqual([sample, 1]);
  });

  it('leaves ordinary strings alone', () => {
    const sample = [
      "throw new Error('Update failed: select a key first');",
      "const label = 'Select an account';",
      'logger.log(`Deleted ${n} keys`);',
      'await this.db.query(CHARGE_SQL, params);',
      'await m.query(lastClosedSql(SETTLE_MINUTES));',
    ].join('\n');
    expect(findInlineSql('sample.ts', sample)).toEqual([]);
  });

  it('keeps every SQL text of src/ in a sql/ folder', () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    const offenders = files.flatMap((path) =>
      findInlineSql(path, readFileSync(path, 'utf8')).map(
        (f) => `${relative(process.cwd(), path).split(sep).join('/')}:${f.line} ${f.text}`,
      ),
    );
    expect(offenders).toEqual([]);
  });
});

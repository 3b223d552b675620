/**
 * The shape of `src/`: no module imports itself through others at run time (an import circle
 * makes load order matter and hides a missing seam), and a file over ~500 lines says why in its
 * header comment.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** The relative modules `file` loads at run time (type-only imports and exports left out). */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const out: string[] = [];
  for (const node of source.statements) {
    let spec: ts.Expression | undefined;
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      if (clause?.phaseModifier === ts.SyntaxKind.TypeKeyword) continue;
      const named = clause?.namedBindings;
      const onlyTypes =
        clause !== undefined &&
        clause.name === undefined &&
        named !== undefined &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      if (onlyTypes) continue;
      spec = node.moduleSpecifier;
    } else if (ts.isExportDeclaration(node)) {
      if (node.isTypeOnly) continue;
      const clause = node.exportClause;
      if (clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0)
        if (clause.elements.every((e) => e.isTypeOnly)) continue;
      spec = node.moduleSpecifier;
    }
    if (spec === undefined || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) continue;
    out.push(resolve(dirname(file), spec.text.replace(/\.js$/, '.ts')));
  }
  return out;
}

describe('src/ architecture', () => {
  const files = sources(SRC);

  it('has no import circle at run time', () => {
    const graph = new Map(files.map((f) => [f, runtimeImports(f)]));
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      state.set(file, 'open');
      path.push(file);
      for (const dep of graph.get(file) ?? []) {
        if (!graph.has(dep)) continue;
        if (state.get(dep) === 'open')
          circles.push(
            [...path.slice(path.indexOf(dep)), dep].map((p) => relative(SRC, p)).join(' → '),
          );
        else if (state.get(dep) === undefined) visit(dep, path);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const f of files) if (state.get(f) === undefined) visit(f, []);
    expect(graph.size).to.be.greaterThan(100);
    expect(circles).to.deep.equal([]);
  });

  it('a file over 500 lines says why in its header', () => {
    const unexplained = files
      .filter((f) => readFileSync(f, 'utf8').split('\n').length > 520)
      .filter((f) => {
        const text = readFileSync(f, 'utf8');
        const header = text.slice(0, text.indexOf('*/') + 2);
        return !/over 500 lines/i.test(header);
      })
      .map((f) => relative(SRC, f));
    expect(unexplained).to.deep.equal([]);
  });
});

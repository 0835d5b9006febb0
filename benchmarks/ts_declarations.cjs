// Ground truth for benchmarks/context_recall.py: for line ranges of TypeScript/JavaScript
// files, where each identifier's declaration is, by the TypeScript checker.
//
//   node benchmarks/ts_declarations.cjs /path/to/node_modules/typescript
//
// Reads one JSON request per stdin line: {"root": dir, "queries": [{"file", "start", "end"}]}
// (repo-relative file, 1-based inclusive lines) and answers one JSON line per request:
// {"results": [[{name, line, file, start, end, kind, type, named, member}, ...], ...]}, one list per
// query. `file`/`start`/`end` is the top-level statement holding the declaration (lines
// 1-based), only for declarations inside `root` and outside node_modules; `type` is whether
// that statement declares a type (class, interface, type alias, enum); `named` is whether the
// identifier reached it through an `import {name}` specifier of its own file; `member` is
// whether the identifier names a member (see `member`). One process
// serves many checkouts: the programs of the two latest roots are kept, and parsed
// source files (the lib files, mostly) are kept by (path, text) between programs.
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const readline = require("node:readline");
const ts = require(process.argv[2]);

const SOURCE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
const SKIP_DIRS = new Set(["node_modules", ".git", "dist", "build", "coverage"]);
const parsed = new Map(); // fileName -> {text, sourceFile}

function listSources(root) {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(path.join(dir, entry.name));
      } else if (SOURCE.test(entry.name)) {
        found.push(path.join(dir, entry.name));
      }
    }
  };
  walk(root);
  return found;
}

function options(root) {
  // The repo's tsconfig for baseUrl/paths where it parses (an `extends` of a package that is
  // not installed only costs a diagnostic), with settings that resolve `.js` specifiers to
  // `.ts` sources and read plain JavaScript.
  let own = {};
  const config = path.join(root, "tsconfig.json");
  if (fs.existsSync(config)) {
    const read = ts.readConfigFile(config, ts.sys.readFile);
    if (read.config) own = ts.parseJsonConfigFileContent(read.config, ts.sys, root).options;
  }
  return {
    baseUrl: own.baseUrl,
    paths: own.paths,
    allowJs: true,
    checkJs: false,
    noEmit: true,
    skipLibCheck: true,
    jsx: ts.JsxEmit.Preserve,
    target: ts.ScriptTarget.ESNext,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  };
}

function host(compilerOptions) {
  const base = ts.createCompilerHost(compilerOptions, true);
  base.getSourceFile = (fileName, languageVersion) => {
    const text = ts.sys.readFile(fileName);
    if (text === undefined) return undefined;
    const kept = parsed.get(fileName);
    if (kept && kept.text === text) return kept.sourceFile;
    const sourceFile = ts.createSourceFile(fileName, text, languageVersion, true);
    parsed.set(fileName, { text, sourceFile });
    return sourceFile;
  };
  return base;
}

const TYPE_KINDS = new Set([
  ts.SyntaxKind.ClassDeclaration,
  ts.SyntaxKind.InterfaceDeclaration,
  ts.SyntaxKind.TypeAliasDeclaration,
  ts.SyntaxKind.EnumDeclaration,
]);

function topLevel(node) {
  while (node.parent && node.parent.kind !== ts.SyntaxKind.SourceFile) node = node.parent;
  return node;
}

function line(sourceFile, position) {
  return sourceFile.getLineAndCharacterOfPosition(position).line + 1;
}

// Where an identifier names a member (`a.name`, `A.B`, `{name: 1}`, `{name} = a`, `<X name>`):
// its declaration is found through the type of something else, not by the name alone. A name
// qualified by a namespace import (`import * as ns`; `ns.name`) is not a member.
function namespace(checker, expression) {
  if (!ts.isIdentifier(expression)) return false;
  const symbol = checker.getSymbolAtLocation(expression);
  return Boolean(symbol && (symbol.declarations || []).some(ts.isNamespaceImport));
}

function member(checker, identifier) {
  const parent = identifier.parent;
  if (!parent) return false;
  switch (parent.kind) {
    case ts.SyntaxKind.PropertyAccessExpression:
      return parent.name === identifier && !namespace(checker, parent.expression);
    case ts.SyntaxKind.QualifiedName:
      return parent.right === identifier && !namespace(checker, parent.left);
    case ts.SyntaxKind.PropertyAssignment:
    case ts.SyntaxKind.ShorthandPropertyAssignment:
    case ts.SyntaxKind.JsxAttribute:
      return parent.name === identifier;
    case ts.SyntaxKind.BindingElement:
      return parent.propertyName === identifier;
    default:
      return false;
  }
}

function declarations(checker, root, identifier) {
  let symbol = checker.getSymbolAtLocation(identifier);
  if (!symbol) return [];
  let named = false;
  if (symbol.flags & ts.SymbolFlags.Alias) {
    named = (symbol.declarations || []).some((d) => d.kind === ts.SyntaxKind.ImportSpecifier);
    symbol = checker.getAliasedSymbol(symbol);
  }
  const found = [];
  for (const declaration of symbol.declarations || []) {
    const sourceFile = declaration.getSourceFile();
    const relative = path.relative(root, sourceFile.fileName);
    if (relative.startsWith("..") || relative.split(path.sep).includes("node_modules")) continue;
    if (declaration.kind === ts.SyntaxKind.SourceFile) continue; // a module, not a definition
    const statement = topLevel(declaration);
    found.push({
      name: identifier.text,
      line: line(identifier.getSourceFile(), identifier.getStart()),
      file: relative.split(path.sep).join("/"),
      start: line(sourceFile, statement.getStart()),
      end: line(sourceFile, statement.getEnd()),
      kind: ts.SyntaxKind[statement.kind],
      type: TYPE_KINDS.has(statement.kind),
      named,
      member: member(checker, identifier),
    });
  }
  return found;
}

function answer(program, root, query) {
  const sourceFile = program.getSourceFile(path.join(root, query.file));
  if (!sourceFile) return [];
  const checker = program.getTypeChecker();
  const found = [];
  const visit = (node) => {
    const first = line(sourceFile, node.getStart(sourceFile));
    const last = line(sourceFile, node.getEnd());
    if (last < query.start || first > query.end) return;
    if (node.kind === ts.SyntaxKind.Identifier && first >= query.start) {
      found.push(...declarations(checker, root, node));
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sourceFile, visit);
  return found;
}

const programs = new Map(); // root -> program, the two latest (a commit and its parent)

function programFor(root) {
  if (!programs.has(root)) {
    while (programs.size >= 2) {
      const oldest = programs.keys().next().value;
      programs.delete(oldest);
      for (const fileName of parsed.keys()) {
        if (fileName.startsWith(oldest + path.sep)) parsed.delete(fileName);
      }
    }
    const compilerOptions = options(root);
    programs.set(root, ts.createProgram(listSources(root), compilerOptions, host(compilerOptions)));
  }
  return programs.get(root);
}

function serve(request) {
  const root = path.resolve(request.root);
  const program = programFor(root);
  return { results: request.queries.map((query) => answer(program, root, query)) };
}

const input = readline.createInterface({ input: process.stdin });
input.on("line", (text) => {
  let reply;
  try {
    reply = serve(JSON.parse(text));
  } catch (error) {
    reply = { error: String(error && error.stack ? error.stack : error) };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
});

/**
 * Each stream's `<stream>CommandRules` (the 422 rules the API documents per command) must be what
 * its decider can actually raise. This reads the decider's source: from `decide`'s branch for each
 * command type, every function it calls (in the stream's files and shared/), transitively, and
 * every `new X(...)` among them where X is a DomainRuleViolation. A static reading of code paths,
 * so an upper bound: a rule listed is reachable in the code, not necessarily in every state.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';
import * as callErrors from '../call/call.errors';
import { callCommandRules } from '../call/call.command-rules';
import * as grantErrors from '../grant/grant.errors';
import { grantCommandRules } from '../grant/grant.command-rules';
import * as organisationErrors from '../organisation/organisation.errors';
import { organisationCommandRules } from '../organisation/organisation.command-rules';
import * as proposalErrors from '../proposal/proposal.errors';
import { proposalCommandRules } from '../proposal/proposal.command-rules';
import * as recipientErrors from '../recipient/recipient.errors';
import { recipientCommandRules } from '../recipient/recipient.command-rules';
import { DomainRuleViolation } from './decider';

interface FileFunctions {
  /** Function name → identifiers it calls and classes it instantiates. */
  functions: Map<string, { calls: Set<string>; creates: Set<string> }>;
  /** Imported name → absolute path of the module (relative imports only). */
  imports: Map<string, string>;
  /** The decide function's branches: command type → names called there. */
  branches: Map<string, Set<string>>;
}

const parsed = new Map<string, FileFunctions>();

function parse(file: string): FileFunctions {
  const known = parsed.get(file);
  if (known) return known;
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const result: FileFunctions = { functions: new Map(), imports: new Map(), branches: new Map() };
  parsed.set(file, result);

  const collect = (body: ts.Node) => {
    const calls = new Set<string>();
    const creates = new Set<string>();
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) calls.add(node.expression.text);
      // A function passed as a value (e.g. to map or forEach) may be called too.
      if (ts.isIdentifier(node) && node.parent && ts.isCallExpression(node.parent) && node.parent.arguments.includes(node as ts.Expression)) calls.add(node.text);
      if (ts.isNewExpression(node) && ts.isIdentifier(node.expression)) creates.add(node.expression.text);
      ts.forEachChild(node, visit);
    };
    visit(body);
    return { calls, creates };
  };

  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier) && statement.moduleSpecifier.text.startsWith('.')) {
      const target = resolve(dirname(file), `${statement.moduleSpecifier.text}.ts`);
      const named = statement.importClause?.namedBindings;
      if (named && ts.isNamedImports(named)) for (const element of named.elements) result.imports.set(element.name.text, target);
    }
    if (ts.isFunctionDeclaration(statement) && statement.name && statement.body) {
      result.functions.set(statement.name.text, collect(statement.body));
      if (/^decide[A-Z]/.test(statement.name.text)) readBranches(statement.body, result.branches);
    }
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.initializer && (ts.isArrowFunction(declaration.initializer) || ts.isFunctionExpression(declaration.initializer))) {
          result.functions.set(declaration.name.text, collect(declaration.initializer));
        }
      }
    }
  }
  return result;
}

/** `if (command.type === 'X') return f(...)` and `case 'X': return f(...)` in decide. */
function readBranches(body: ts.Block, branches: Map<string, Set<string>>): void {
  const calledIn = (node: ts.Node) => {
    const names = new Set<string>();
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) names.add(n.expression.text);
      ts.forEachChild(n, visit);
    };
    visit(node);
    return names;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isIfStatement(node) && ts.isBinaryExpression(node.expression) && node.expression.operatorToken.kind === ts.SyntaxKind.EqualsEqualsEqualsToken) {
      const { left, right } = node.expression;
      if (ts.isPropertyAccessExpression(left) && left.name.text === 'type' && ts.isStringLiteral(right)) branches.set(right.text, calledIn(node.thenStatement));
    }
    if (ts.isCaseClause(node) && ts.isStringLiteral(node.expression)) {
      const names = new Set<string>();
      for (const statement of node.statements) for (const name of calledIn(statement)) names.add(name);
      branches.set(node.expression.text, names);
    }
    ts.forEachChild(node, visit);
  };
  visit(body);
}

/** Every class instantiated on some path from `names` called in `file`. */
function reachableCreations(file: string, names: Iterable<string>): Set<string> {
  const creates = new Set<string>();
  const seen = new Set<string>();
  const queue = [...names].map((name) => ({ file, name }));
  while (queue.length > 0) {
    const { file: from, name } = queue.pop()!;
    const own = parse(from);
    const target = own.functions.has(name) ? from : own.imports.get(name);
    const key = `${target}#${name}`;
    if (!target || seen.has(key)) continue;
    seen.add(key);
    const fn = parse(target).functions.get(name);
    if (!fn) continue;
    for (const created of fn.creates) creates.add(created);
    for (const called of fn.calls) queue.push({ file: target, name: called });
  }
  return creates;
}

/** Every DomainRuleViolation class of every stream (a decider may raise another stream's). */
const RULE_CLASSES = new Set(
  [callErrors, proposalErrors, organisationErrors, grantErrors, recipientErrors]
    .flatMap((errors) => Object.entries(errors))
    .filter(([, value]) => typeof value === 'function' && value.prototype instanceof DomainRuleViolation)
    .map(([name]) => name),
);

function derivedRules(stream: string): Record<string, string[]> {
  const decider = resolve(__dirname, `../${stream}/${stream}.decider.ts`);
  const ruleClasses = RULE_CLASSES;
  const derived: Record<string, string[]> = {};
  for (const [type, names] of parse(decider).branches) {
    derived[type] = [...reachableCreations(decider, names)].filter((name) => ruleClasses.has(name)).sort();
  }
  return derived;
}

const listed = (rules: Readonly<Record<string, readonly { name: string }[]>>) =>
  Object.fromEntries(Object.entries(rules).map(([type, classes]) => [type, classes.map((c) => c.name).sort()]));

describe('the rules documented per command are the ones its decider can raise', () => {
  it.each([
    ['call', callCommandRules],
    ['proposal', proposalCommandRules],
    ['organisation', organisationCommandRules],
    ['grant', grantCommandRules],
    ['recipient', recipientCommandRules],
  ] as const)('%s', (stream, rules) => {
    expect(listed(rules)).toEqual(derivedRules(stream));
  });

  it('reads branches and helpers (a sanity check of the reading itself)', () => {
    const submit = derivedRules('proposal').SubmitProposal;
    expect(submit).toEqual(expect.arrayContaining(['CallNotPublished', 'OutsideSubmissionWindow', 'InvalidContentHash', 'TooFewPartners']));
    expect(derivedRules('call').DraftCall).toEqual(expect.arrayContaining(['InvalidCurrency', 'InvalidCriteriaWeights']));
  });
});
